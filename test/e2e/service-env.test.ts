/**
 * Hostile environment values and health URLs against a real supervisord on an ssh host: values reach
 * the running process byte for byte from a 0600 env file, never the program file, and nothing in
 * them or in a health URL runs as shell.
 */
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fleet, freePort, SKIP_FLEET } from "../fleet.js";
import { cli, Repo, tmpdir } from "../helpers.js";

let fleet: Fleet;
let port = 0;
beforeAll(async () => {
  if (SKIP_FLEET) return;
  fleet = await Fleet.start(["env1"]);
  fleet.startSupervisord("env1");
  port = await freePort();
}, 60_000);
afterAll(() => fleet?.stop());

// /health answers 500 while ~/unhealthy exists, so a probe can be made to fail on purpose.
const SERVER = `const http = require("http"), fs = require("fs");
http.createServer((q, r) => {
  if (q.url.startsWith("/health")) { r.statusCode = fs.existsSync(process.env.HOME + "/unhealthy") ? 500 : 200; return r.end("h"); }
  r.end("ok");
}).listen(Number(process.env.PORT), "127.0.0.1");
`;

describe.skipIf(SKIP_FLEET)("service environment and health URLs (supervisord over ssh)", () => {
  it("hostile env values and secrets arrive exactly from a 0600 env file and never reach the program file or a shell", () => {
    const h = fleet.host("env1");
    const hostile: Record<string, string> = {
      QUOTE: `a"b`,
      INJECT: `x",INJECTED=yes`,
      HASH: "v#1;2",
      SUBST: `$(touch ${h.home}/pwned-env)`,
      PERCENT: "%(here)s",
      MULTI: "first line\nsecond line",
      BACKSLASH: "a\\b\\\\c\\",
      SINGLE: "it's",
    };
    const secret = `s3cr3t'"$(touch ${h.home}/pwned-secret);%(ENV_HOME)s\nend`;
    const repo = new Repo(path.join(fleet.gitBase, "envapp"));
    repo.commit({ "server.js": SERVER });
    const dir = tmpdir();
    const yml = (extra: Record<string, string>) => `app: envapp
source: { git: "${fleet.gitUrl("envapp")}", ref: main }
secret_env: [DB_PASSWORD]
env:
${Object.entries({ ...hostile, ...extra })
  .map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`)
  .join("\n")}
services:
  web:
    backend: supervisord
    command: node server.js
    health: { http: "http://127.0.0.1:\${PORT}/health", timeout: 10 }
environments:
  prod:
    hosts:
      - { name: env1, address: env1, env: { PORT: "${port}" } }
`;
    writeFileSync(path.join(dir, "slipway.yml"), yml({}));
    const env = { ...fleet.env, DB_PASSWORD: secret };
    const run = (...a: string[]) => cli(a, { cwd: dir, env });
    let r = run("prod", "deploy");
    expect(r.code, r.stderr).toBe(0);

    const pidOf = () => Number(fleet.asUser("env1", "supervisorctl -c supervisor/supervisord.conf pid envapp-web").trim());
    const environ = (pid: number) =>
      Object.fromEntries(
        readFileSync(`/proc/${pid}/environ`, "latin1")
          .split("\0")
          .filter(Boolean)
          .map((kv) => [kv.slice(0, kv.indexOf("=")), Buffer.from(kv.slice(kv.indexOf("=") + 1), "latin1").toString("utf8")]),
      );
    let seen = environ(pidOf());
    for (const [k, v] of Object.entries(hostile)) expect(seen[k], k).toBe(v);
    expect(seen.DB_PASSWORD).toBe(secret);
    expect(seen.PORT).toBe(String(port));
    expect(seen.INJECTED).toBeUndefined();

    const conf = readFileSync(path.join(h.home, "supervisor/conf.d/envapp-web.conf"), "utf8");
    for (const v of [...Object.values(hostile), secret]) expect(conf).not.toContain(v);
    expect(conf).not.toContain("INJECTED");
    expect(conf).not.toMatch(/^environment=/m);
    const envDir = path.join(h.home, "apps/envapp/.slipway/env");
    expect(statSync(path.join(envDir, "envapp-web.env")).mode & 0o777).toBe(0o600);
    expect(statSync(envDir).mode & 0o777).toBe(0o700);
    expect(readdirSync(envDir)).toEqual(["envapp-web.env"]);
    expect(r.stdout + r.stderr).not.toContain("s3cr3t");

    // A restart rewrites the env file: the new process sees the new value.
    writeFileSync(path.join(dir, "slipway.yml"), yml({ QUOTE: `new"value` }));
    const before = pidOf();
    r = run("prod", "service", "web", "restart");
    expect(r.code, r.stderr).toBe(0);
    const after = pidOf();
    expect(after).not.toBe(before);
    seen = environ(after);
    expect(seen.QUOTE).toBe(`new"value`);
    expect(seen.DB_PASSWORD).toBe(secret);

    for (const f of ["pwned-env", "pwned-secret"]) expect(existsSync(path.join(h.home, f)), f).toBe(false);
    fleet.asUser("env1", "supervisorctl -c supervisor/supervisord.conf stop envapp-web");
  }, 120_000);

  it("a $(...) in a health URL is never run on the host, also when the probe fails and prints it", async () => {
    const h = fleet.host("env1");
    const probePort = await freePort();
    const repo = new Repo(path.join(fleet.gitBase, "probeapp"));
    repo.commit({ "server.js": SERVER });
    const dir = tmpdir();
    writeFileSync(
      path.join(dir, "slipway.yml"),
      `app: probeapp
source: { git: "${fleet.gitUrl("probeapp")}", ref: main }
services:
  web:
    backend: supervisord
    command: node server.js
    health: { http: "http://127.0.0.1:\${PORT}/health?q=$(touch$IFS$HOME/pwned)", timeout: 10 }
environments:
  prod:
    hosts:
      - { name: env1, address: env1, env: { PORT: "${probePort}" } }
`,
    );
    const run = (...a: string[]) => cli(a, { cwd: dir, env: fleet.env });
    let r = run("prod", "deploy");
    expect(r.code, r.stderr).toBe(0);
    // A failing probe prints what it checked: the URL is data there too.
    fleet.asUser("env1", "touch unhealthy");
    r = run("prod", "check-services");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("/health?q=$(touch$IFS$HOME/pwned) → 500");
    fleet.asUser("env1", "rm unhealthy");
    expect(existsSync(path.join(h.home, "pwned"))).toBe(false);
    fleet.asUser("env1", "supervisorctl -c supervisor/supervisord.conf stop probeapp-web");
  }, 120_000);
});
