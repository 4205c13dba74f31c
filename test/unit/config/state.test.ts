/** `state:`: the short and long forms, errors at their key path, and the URL's variable (named, never shown). */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/load.js";
import { stateSecrets, stateSettings, stateUrl } from "../../../src/config/state.js";
import { ConfigError, UsageError } from "../../../src/errors.js";

const config = (state: string) => `app: web
source: { git: https://example.com/r.git, ref: main }
${state}
environments:
  prod:
    hosts:
      - { name: a, address: a.example.com }
`;

function problems(text: string): string[] {
  try {
    parseConfig(text, "slipway.yml");
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

const settings = (state: string) => stateSettings(parseConfig(config(state), "/cfg/slipway.yml").raw);

describe("state", () => {
  it("defaults to sqlite; `postgres` reads $SLIPWAY_STATE_URL; the long form names its own variable", () => {
    expect(settings("")).toEqual({ store: "sqlite" });
    expect(settings("state: sqlite")).toEqual({ store: "sqlite" });
    expect(settings("state: postgres")).toEqual({ store: "postgres", urlEnv: "SLIPWAY_STATE_URL" });
    expect(settings("state: { store: postgres }")).toEqual({ store: "postgres", urlEnv: "SLIPWAY_STATE_URL" });
    expect(settings("state: { store: postgres, url_env: TEAM_DB }")).toEqual({ store: "postgres", urlEnv: "TEAM_DB" });
    expect(settings("state: { store: sqlite }")).toEqual({ store: "sqlite" });
  });

  it("bad values are reported at their key path and line", () => {
    expect(problems(config("state: mysql"))).toEqual([`line 3: state: expected "sqlite", "postgres" or {store, url_env}, got "mysql"`]);
    expect(problems(config("state: { store: mysql }"))).toEqual([`line 3: state: expected "sqlite", "postgres" or {store, url_env}, got {"store":"mysql"}`]);
    expect(problems(config("state: { store: postgres, url_env: 1BAD }"))).toEqual([`line 3: state.url_env: expected an environment variable name, got "1BAD"`]);
    expect(problems(config("state: { store: postgres, url: postgres://x }"))).toEqual(["line 3: state.url: unknown key"]);
    expect(problems(config("state: { url_env: X }"))).toEqual([`line 3: state: expected "sqlite", "postgres" or {store, url_env}, got {"url_env":"X"}`]);
  });

  it("an unset variable is a usage error naming it; the URL itself is never in a message", () => {
    const s = { store: "postgres", urlEnv: "TEAM_DB" } as const;
    expect(() => stateUrl(s, () => undefined)).toThrow(UsageError);
    expect(() => stateUrl(s, () => "")).toThrow(/\$TEAM_DB, which is not set/);
    expect(stateUrl(s, () => "postgres://u:p@h/d")).toBe("postgres://u:p@h/d");
  });

  it("the redactor gets the URL and its password, raw and percent-decoded", () => {
    const raw = parseConfig(config("state: { store: postgres, url_env: TEAM_DB }"), "/cfg/slipway.yml").raw;
    const url = "postgres://slipway:p%40ss%3Aword!@db.example.com:5432/state";
    const secrets = stateSecrets(raw, (k) => (k === "TEAM_DB" ? url : undefined));
    expect(secrets).toEqual(expect.arrayContaining([url, "p%40ss%3Aword!", "p@ss:word!"]));
    expect(stateSecrets(raw, () => undefined)).toEqual([]);
    expect(stateSecrets(parseConfig(config(""), "/cfg/slipway.yml").raw, () => url)).toEqual([]);
  });
});
