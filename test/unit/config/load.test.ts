/** Config errors name the key path and what was expected — all of them at once. */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/load.js";
import { resolveEnvironment } from "../../../src/config/resolve.js";
import { STARTER } from "../../../src/config/starter.js";
import { ConfigError, UsageError } from "../../../src/errors.js";

function problems(text: string): string[] {
  try {
    parseConfig(text, "slipway.yml");
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

const base = `app: web
source: { git: https://example.com/r.git, ref: main }
environments:
  production:
    hosts:
      - { name: a, address: a.example.com }
      - { name: b, address: b.example.com }
      - { name: c, address: c.example.com, port: "22x" }
`;

describe("config errors", () => {
  it("names the key path, what was expected and what was given", () => {
    expect(problems(base)).toEqual([`line 8: environments.production.hosts[2].port: expected an integer 1-65535, got "22x"`]);
  });

  it("reports every problem at once, not the first only", () => {
    const text = `app: "my app"
source: { git: x, reff: main }
keep_releases: 0
environments:
  production:
    hots: []
`;
    const ps = problems(text);
    expect(ps.some((p) => p.includes(`app: expected a valid app name (letters, digits, "_", ".", "-"), got "my app"`))).toBe(true);
    expect(ps.some((p) => p.includes("keep_releases: expected an integer >= 1, got 0"))).toBe(true);
    expect(ps.some((p) => p.includes("source.reff: unknown key"))).toBe(true);
    expect(ps.some((p) => p.includes("environments.production.hots: unknown key"))).toBe(true);
    expect(ps.some((p) => p.includes("environments.production.hosts: is required"))).toBe(true);
    expect(ps.length).toBeGreaterThanOrEqual(5);
  });

  it("checks cross-field rules: duplicate hosts, reserved env names, ssh without address, paths escaping shared/", () => {
    const ps = problems(`app: web
source: { git: x }
shared: { dirs: ["../etc"] }
environments:
  config:
    hosts: [{ name: a, transport: local }]
  prod:
    hosts:
      - { name: a, transport: ssh }
      - { name: a, address: h }
`);
    expect(ps.some((p) => p.endsWith(`environments.config: "config" is a slipway verb; choose another environment name`))).toBe(true);
    expect(ps.some((p) => p.endsWith(`environments.prod.hosts[1].name: duplicate host name "a" (also hosts[0])`))).toBe(true);
    expect(ps.some((p) => p.endsWith("environments.prod.hosts[0].address: is required for ssh hosts"))).toBe(true);
    expect(ps.some((p) => p.endsWith(`shared.dirs[0]: expected a relative path inside shared/, got "../etc"`))).toBe(true);
  });

  it("reports YAML syntax errors with a line", () => {
    expect(problems("app: [unclosed\n")[0]).toMatch(/^line \d+: /);
  });

  it("the starter written by init is valid", () => {
    const cfg = parseConfig(STARTER, "slipway.yml");
    expect(Object.keys(cfg.raw.environments)).toEqual(["staging", "production"]);
  });
});

describe("resolveEnvironment", () => {
  const text = `app: web
source: { git: ./repo, ref: main }
deploy_to: ~/apps/web
secret_env: [DB_PASSWORD]
env: { A: "1" }
environments:
  prod:
    ref: v2
    env: { A: "2", B: x }
    hosts:
      - { name: a, address: a.example.com, roles: [web] }
      - { name: b, address: b.example.com, primary: true, deploy_to: /srv/web }
      - { name: l, transport: local, deploy_to: ./local }
`;
  it("merges environment overrides, picks the primary, resolves local paths and secrets", () => {
    const env = resolveEnvironment(parseConfig(text, "/cfg/slipway.yml"), "prod", (k) => (k === "DB_PASSWORD" ? "s3cret!" : undefined));
    expect(env.primary.name).toBe("b");
    expect(env.hosts.map((h) => [h.name, h.transport, h.deployTo])).toEqual([
      ["a", "ssh", "~/apps/web"],
      ["b", "ssh", "/srv/web"],
      ["l", "local", "/cfg/local"],
    ]);
    expect(env.source).toMatchObject({ type: "git", repo: "/cfg/repo", ref: "v2", distribute: "push" });
    expect(env.env).toEqual({ A: "2", B: "x" });
    expect(env.secrets).toEqual({ DB_PASSWORD: "s3cret!" });
  });
  it("refuses a missing secret and an unknown environment", () => {
    const loaded = parseConfig(text, "/cfg/slipway.yml");
    expect(() => resolveEnvironment(loaded, "prod", () => undefined)).toThrow(/secret_env: DB_PASSWORD not set/);
    expect(() => resolveEnvironment(loaded, "staging", () => "x")).toThrow(UsageError);
  });
});
