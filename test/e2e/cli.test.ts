/** The CLI surface: help, exit codes, config verbs, secrets, hostile values, the store, the demo. */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { basicConfig, cli, Project, tmpdir } from "../helpers.js";

let p: Project;
afterEach(() => p?.cleanup());

describe("usage", () => {
  it("--help lists every verb; each verb's --help has an example", () => {
    const r = cli(["--help"], { cwd: tmpdir() });
    expect(r.code).toBe(0);
    for (const v of ["init", "config", "demo", "version", "deploy", "rollback", "releases", "history", "lock", "cleanup", "run", "ssh"])
      expect(r.stdout).toContain(v);
    for (const args of [
      ["prod", "deploy"],
      ["prod", "rollback"],
      ["prod", "releases"],
      ["prod", "history"],
      ["prod", "lock"],
      ["prod", "cleanup"],
      ["prod", "run"],
      ["prod", "ssh"],
      ["init"],
      ["config"],
      ["demo"],
      ["version"],
    ]) {
      const h = cli([...args, "--help"], { cwd: tmpdir() });
      expect(h.code, args.join(" ")).toBe(0);
      expect(h.stdout, args.join(" ")).toMatch(/Example:\n {2}slipway /);
    }
  });

  it("usage errors exit 2 with a message", () => {
    const d = tmpdir();
    expect(cli(["prod"], { cwd: d })).toMatchObject({ code: 2, stderr: expect.stringMatching(/missing verb after environment "prod"/) });
    expect(cli(["prod", "dance"], { cwd: d })).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown verb "dance"/) });
    expect(cli(["prod", "deploy", "--bogus"], { cwd: d })).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown option '--bogus'/) });
    expect(cli(["prod", "deploy"], { cwd: d })).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/slipway.yml.*file not found \(create one with `slipway init`\)/),
    });
  });

  it("version prints the package version", () => {
    expect(cli(["version"], { cwd: tmpdir() }).stdout).toMatch(/^slipway \d+\.\d+\.\d+/);
    expect(cli(["--version"], { cwd: tmpdir() }).stdout).toMatch(/^slipway \d+\.\d+\.\d+/);
  });
});

describe("config verbs", () => {
  it("init writes a starter that validates; validate lists every problem with key paths (exit 2)", () => {
    const d = tmpdir();
    expect(cli(["init"], { cwd: d }).code).toBe(0);
    expect(cli(["init"], { cwd: d })).toMatchObject({ code: 2, stderr: expect.stringMatching(/already exists/) });
    expect(cli(["config", "validate"], { cwd: d })).toMatchObject({ code: 0, stdout: expect.stringMatching(/ok \(environments: staging, production\)/) });
    const bad = tmpdir();
    writeFileSync(
      path.join(bad, "slipway.yml"),
      "app: x\nsource: { git: r }\nenvironments:\n  prod:\n    hosts:\n      - { name: a, address: h, port: 70000 }\n      - { name: b, adress: h }\n",
    );
    const r = cli(["config", "validate"], { cwd: bad });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("environments.prod.hosts[0].port: expected an integer 1-65535, got 70000");
    expect(r.stderr).toContain("environments.prod.hosts[1].adress: unknown key");
  });

  it("config schema prints JSON Schema with descriptions", () => {
    const schema = JSON.parse(cli(["config", "schema"], { cwd: tmpdir() }).stdout);
    expect(schema.properties.keep_releases).toMatchObject({ default: 5, description: expect.stringContaining("good releases") });
  });
});

describe("secrets", () => {
  it("never appear in output, the run log, config print or the state store", () => {
    p = new Project();
    p.repo.commit({ VERSION: "1" });
    const secret = "hunter2-very-secret";
    p.writeConfig(basicConfig(`secret_env: [API_TOKEN]\nbuild:\n  - echo "token is $API_TOKEN"; echo "err $API_TOKEN" >&2; test "$API_TOKEN" = ${secret}`));
    const env = { API_TOKEN: secret };
    const r = p.runWith(env, "prod", "deploy", "-v");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("token is [REDACTED]");
    const json = p.runWith(env, "prod", "deploy", "--json");
    const print = p.runWith(env, "prod", "config", "print");
    expect(print.stdout).toContain('API_TOKEN: "[REDACTED]"');
    const logs = readdirSync(path.join(p.dir, ".slipway", "logs"))
      .map((f) => readFileSync(path.join(p.dir, ".slipway", "logs", f), "utf8"))
      .join("\n");
    expect(logs).toContain("token is [REDACTED]");
    const db = new Database(path.join(p.dir, ".slipway", "state.db"), { readonly: true });
    const stored = (db.prepare("SELECT json FROM events").all() as { json: string }[]).map((x) => x.json).join("\n");
    db.close();
    expect(stored).toContain("[REDACTED]");
    for (const text of [r.stdout, r.stderr, json.stdout, json.stderr, print.stdout, logs, stored]) expect(text).not.toContain(secret);
    // missing secret: a usage error naming the variable
    expect(p.run("prod", "deploy")).toMatchObject({ code: 2, stderr: expect.stringMatching(/secret_env: API_TOKEN not set/) });
  });
});

describe("hostile values", () => {
  it("deploy_to, env values, shared names and the -m reason reach the shell as data", () => {
    p = new Project();
    p.repo.commit({ VERSION: "1" });
    const evil = `it's $(touch PWNED1); \`touch PWNED2\` "q" ../x\nline`;
    p.writeConfig(`app: testapp
source: { git: ./app, ref: main }
shared:
  dirs: ["log dir", "$(touch PWNED3)"]
env:
  EVIL: ${JSON.stringify(evil)}
build:
  - printf '%s' "$EVIL" > evil.txt
environments:
  prod:
    hosts:
      - name: h1
        transport: local
        deploy_to: ${JSON.stringify("./hosts/h 1 $(touch PWNED4); '\"")}
`);
    const r = p.run("prod", "deploy", "-m", "$(touch PWNED5)'\"; rm -rf /");
    expect(r.code, r.stderr).toBe(0);
    const root = path.join(p.dir, "hosts", `h 1 $(touch PWNED4); '"`);
    expect(readFileSync(path.join(root, "current", "evil.txt"), "utf8")).toBe(evil);
    expect(existsSync(path.join(root, "shared", "$(touch PWNED3)"))).toBe(true);
    const found = execFileSync("find", [p.dir, "-name", "PWNED*"], { encoding: "utf8" }).trim();
    expect(found).toBe("");
    expect(existsSync(path.join(process.cwd(), "PWNED1"))).toBe(false);
    expect(p.run("prod", "rollback").stderr).toMatch(/nothing to roll back to/);
  });
});

describe("history and state store", () => {
  it("history reads the log on the hosts; --local shows this machine's store with log paths", () => {
    p = new Project();
    p.repo.commit({ VERSION: "1" });
    p.writeConfig(basicConfig());
    expect(p.run("prod", "deploy").code).toBe(0);
    p.repo.commit({ VERSION: "2" });
    expect(p.run("prod", "deploy").code).toBe(0);
    const h = p.run("prod", "history");
    expect(h.code, h.stderr).toBe(0);
    const lines = h.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^WHEN\s+VERB\s+RELEASE\s+FROM\s+TO\s+BY\s+OUTCOME\s+SECONDS\s+GATES\s+MESSAGE$/);
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe("2 entries (all of them)");
    expect(lines[1]).toMatch(/deploy\s+\d{8}-\d{6}-\w{7}\s+[0-9a-f]{12}\s+[0-9a-f]{12}\s+\S+@\S+\s+ok/);
    const local = p.run("prod", "history", "--local", "--json");
    const runs = JSON.parse(local.stdout);
    expect(runs).toHaveLength(2);
    expect(runs[0]).toMatchObject({ verb: "deploy", outcome: "ok", releaseId: expect.stringMatching(/^\d{8}/) });
    expect(existsSync(runs[0].logPath)).toBe(true);
    // a second control machine (its own state dir) still sees the host-side history
    const other = p.runWith({ SLIPWAY_STATE_DIR: tmpdir() }, "prod", "history", "--json");
    expect(JSON.parse(other.stdout)).toHaveLength(2);
    const rel = p.run("prod", "releases");
    expect(rel.stdout).toMatch(/h1 \(.*hosts\/h1\)\n\s+RELEASE\s+COMMIT\s+CREATED\s+BY\s+STATUS\n\s+\S+\s+\w{12}\s+.*current \(ok\)\n\s+\S+.*\sok\n/);
  });
});

describe("demo", () => {
  it("deploys v1 and v2 of the example app, rolls back, serves v1 again and leaves nothing running", () => {
    const r = cli(["demo"], { cwd: tmpdir() });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/→ <h1>hello-app v1<\/h1>[\s\S]*→ <h1>hello-app v2<\/h1>[\s\S]*roll back to v1[\s\S]*→ <h1>hello-app v1<\/h1>/);
    expect(r.stdout).toContain("nothing left running");
    const ps = execFileSync("bash", ["-c", "ps -eo args 2>/dev/null | grep '[s]lipway-demo-.*server.js' || true"], { encoding: "utf8" });
    expect(ps.trim()).toBe("");
  });
});
