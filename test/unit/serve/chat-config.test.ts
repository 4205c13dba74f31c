/** `chat.slack`: the shape, errors at their key path, and the signing secret (named by its variable, never shown). */
import { describe, expect, it } from "vitest";
import { chatSecrets, slackSettings } from "../../../src/config/chat.js";
import { parseConfig } from "../../../src/config/load.js";
import { ConfigError, UsageError } from "../../../src/errors.js";

const config = (chat: string) => `app: web
source: { git: https://example.com/r.git, ref: main }
${chat}
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
const raw = (chat: string) => parseConfig(config(chat), "/cfg/slipway.yml").raw;

describe("chat config", () => {
  it("absent: no chat, nothing to redact", () => {
    expect(slackSettings(raw(""), () => "x")).toBeNull();
    expect(chatSecrets(raw(""), () => "x")).toEqual([]);
  });

  it("reads the secret from the named variable (default SLACK_SIGNING_SECRET), with users and their roles", () => {
    const r = raw("chat: { slack: { team_id: T0001, users: { U012ABC: deployer, UCAROL: viewer } } }");
    const env = { SLACK_SIGNING_SECRET: "s3cret" } as Record<string, string>;
    expect(slackSettings(r, (k) => env[k])).toEqual({
      secretEnv: "SLACK_SIGNING_SECRET",
      secret: "s3cret",
      teamId: "T0001",
      users: { U012ABC: "deployer", UCAROL: "viewer" },
    });
    expect(chatSecrets(r, (k) => env[k])).toEqual(["s3cret"]);
    const own = raw("chat: { slack: { signing_secret_env: MY_SLACK } }");
    expect(slackSettings(own, (k) => (k === "MY_SLACK" ? "v" : undefined))).toMatchObject({ secretEnv: "MY_SLACK", secret: "v", users: {} });
  });

  it("an unset variable is a usage error naming it (serve stops at start-up)", () => {
    const r = raw("chat: { slack: {} }");
    expect(() => slackSettings(r, () => undefined)).toThrow(UsageError);
    expect(() => slackSettings(r, () => undefined)).toThrow(/\$SLACK_SIGNING_SECRET, which is not set/);
    expect(chatSecrets(r, () => undefined)).toEqual([]);
  });

  it("bad values are reported at their key path and line", () => {
    expect(problems(config("chat: { slack: { users: { U12: admin } } }"))).toEqual([
      expect.stringMatching(/^line 3: chat\.slack\.users\.U12: expected one of "deployer", "viewer", got "admin"/),
    ]);
    // A user name cannot grant a role: its owner chose it, and anyone may choose it.
    expect(problems(config("chat: { slack: { users: { carol: viewer } } }"))).toEqual([
      expect.stringMatching(/^line 3: chat\.slack\.users.*expected a Slack user id like U012ABCDEF/),
    ]);
    expect(problems(config("chat: { slack: { team_id: acme } }"))).toEqual([
      expect.stringMatching(/^line 3: chat\.slack\.team_id: expected a Slack workspace id/),
    ]);
    expect(problems(config("chat: { slack: { signing_secret_env: 1BAD } }"))).toEqual([
      expect.stringMatching(/^line 3: chat\.slack\.signing_secret_env: expected an environment variable name/),
    ]);
    expect(problems(config("chat: { slack: { signing_secret: abc } }"))).toEqual(["line 3: chat.slack.signing_secret: unknown key"]);
    expect(problems(config("chat: { teams: {} }"))).toContain("line 3: chat.teams: unknown key");
    expect(problems(config('chat: { slack: { users: { "-x": deployer } } }'))).toEqual([expect.stringMatching(/^line 3: chat\.slack\.users/)]);
  });
});
