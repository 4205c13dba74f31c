/** `verify:` as a list (as before) or an object with a window: typed checks, errors at their key path. */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { resolveEnvironment } from "../../src/config/resolve.js";
import { ConfigError, UsageError } from "../../src/errors.js";

const config = (verify: string, components = "") => `app: web
source: { git: https://example.com/r.git, ref: main }
${verify}
${components}environments:
  prod:
    hosts:
      - { name: a, address: a.example.com, roles: [web] }
`;
const resolve = (text: string, component: string | null = null) =>
  resolveEnvironment(parseConfig(text, "/cfg/slipway.yml"), "prod", () => undefined, component);

function problems(text: string): string[] {
  try {
    parseConfig(text, "slipway.yml");
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

function usage(text: string, component: string | null = null): string {
  try {
    resolve(text, component);
  } catch (e) {
    if (e instanceof UsageError) return e.message;
    throw e;
  }
  return "";
}

describe("verify config", () => {
  it("a list stays the verify commands, with no window", () => {
    const env = resolve(config(`verify: ["curl -f localhost", { run: "./smoke", roles: [web] }]`));
    expect(env.verify).toEqual([
      { run: "curl -f localhost", local: false },
      { run: "./smoke", local: false, roles: ["web"] },
    ]);
    expect(env.verifyWindow).toBeNull();
    expect(resolve(config("")).verify).toEqual([]);
    expect(resolve(config("")).verifyWindow).toBeNull();
  });

  it("an object gives commands and a typed window with named checks", () => {
    const env = resolve(
      config(`verify:
  commands: [./smoke]
  window: 5m
  interval: 0.5s
  checks:
    - { http: "http://127.0.0.1:3000/health" }
    - { name: migrations, command: "./bin/check", roles: [web], timeout: 500ms }
    - { name: error-rate, metric: "http://prom:9090/", query: 'sum(rate(http_errors[1m]))', max: 0.01 }`),
    );
    expect(env.verify).toEqual([{ run: "./smoke", local: false }]);
    expect(env.verifyWindow).toEqual({
      windowMs: 300_000,
      intervalMs: 500,
      checks: [
        { kind: "http", name: "http-1", url: "http://127.0.0.1:3000/health", expect: 200, timeoutMs: 5000 },
        { kind: "command", name: "migrations", command: "./bin/check", roles: ["web"], timeoutMs: 500 },
        { kind: "metric", name: "error-rate", url: "http://prom:9090/", query: "sum(rate(http_errors[1m]))", max: 0.01, timeoutMs: 5000 },
      ],
    });
  });

  it("bad values are named by key path and line", () => {
    expect(problems(config(`verify: { window: 5x, checks: [{ http: "http://x" }] }`))).toEqual([
      'line 3: verify.window: expected a duration like 30s, 5m, 1h or 500ms, got "5x"',
    ]);
    expect(problems(config(`verify: { window: 5m, checks: [{ metric: "http://x" }] }`))[0]).toMatch(/^line 3: verify\.checks\[0\]/);
    expect(problems(config(`verify: { window: 5m, checks: [{ http: "http://x", expect: 42 }] }`))[0]).toMatch(/^line 3: verify\.checks\[0\]/);
    expect(problems(config(`verify: { windows: 5m }`))[0]).toMatch(/^line 3: verify/);
  });

  it("refuses windows without checks, checks without a window, non-http URLs and duplicate names", () => {
    expect(usage(config(`verify: { window: 5m }`))).toBe("verify.checks: a verify window needs at least one check");
    expect(usage(config(`verify: { checks: [{ http: "http://x" }] }`))).toBe("verify.checks: checks run during a verify window: set verify.window (e.g. 5m)");
    expect(usage(config(`verify: { window: 5m, checks: [{ http: "file:///etc/passwd" }] }`))).toMatch(/^verify\.checks\[0\]\.http: expected an http/);
    expect(usage(config(`verify: { window: 5m, checks: [{ http: "-Kfile" }] }`))).toMatch(/^verify\.checks\[0\]\.http: expected an http/);
    expect(usage(config(`verify: { window: 5m, checks: [{ metric: "http://x/a b", max: 1 }] }`))).toMatch(/^verify\.checks\[0\]\.metric: /);
    expect(usage(config(`verify: { window: 5m, interval: 10ms, checks: [{ http: "http://x" }] }`))).toBe("verify.interval: must be at least 100ms");
    expect(usage(config(`verify: { window: 5m, checks: [{ name: a, http: "http://x" }, { name: a, command: "true" }] }`))).toBe(
      'verify.checks[1].name: "a" is used by another check',
    );
  });

  it("a component's verify takes either form; its errors name the component", () => {
    const comps = `components:
  api:
    verify: { window: 2s, checks: [{ command: "true" }, { http: "ftp://x" }] }
  worker:
    verify: [./check]
`;
    expect(usage(config("", comps), "api")).toMatch(/^components\.api\.verify\.checks\[1\]\.http: /);
    expect(resolve(config("", comps), "worker").verify).toEqual([{ run: "./check", local: false }]);
    expect(resolve(config("", comps), "worker").verifyWindow).toBeNull();
  });
});
