/**
 * Secrets never leak (multi-line, rotated, the secrets key itself) and the files that hold state
 * have private modes; host-stored text cannot drive the operator's terminal.
 */
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cli, Project } from "../helpers.js";

let p: Project;
afterEach(() => p?.cleanup());

// Distinctive canaries: each line must be masked on its own, wherever it ends up.
const ENV_LINES = ["CanaryEnvAlpha-7f3k2q", "CanaryEnvBravo-9q8w1z", "CanaryEnvCharlie-x0x0p"];
const FILE_LINES = ["CanaryFileDelta-4m5n6b", "CanaryFileEcho-1a2s3d"];
const OLD_LINES = ["CanaryOldFoxtrot-8u7y6t", "CanaryOldGolf-5r4e3w"];
const NEW_LINES = ["CanaryNewHotel-2w3e4r", "CanaryNewIndia-6t7y8u"];

/** Every file under `dir`, as bytes decoded leniently (SQLite pages and -wal files included). */
function everything(dir: string): string {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const f = path.join(d, e.name);
      if (e.isDirectory()) walk(f);
      else if (e.isFile()) out.push(readFileSync(f).toString("latin1"));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.join("\n");
}

const mode = (f: string) => statSync(f).mode & 0o777;

/** The state dir, its store (with -wal/-shm) and every run log are private to the operator. */
function expectPrivateState(dir: string): void {
  const st = path.join(dir, ".slipway");
  expect(mode(st)).toBe(0o700);
  for (const f of ["state.db", "state.db-wal", "state.db-shm"]) if (existsSync(path.join(st, f))) expect(mode(path.join(st, f)), f).toBe(0o600);
  expect(existsSync(path.join(st, "state.db"))).toBe(true);
  expect(mode(path.join(st, "logs"))).toBe(0o700);
  const logs = readdirSync(path.join(st, "logs"));
  expect(logs.length).toBeGreaterThan(0);
  for (const l of logs) expect(mode(path.join(st, "logs", l)), l).toBe(0o600);
}

function setupSecrets(): { key: string } {
  const key = cli(["secrets", "keygen"], { cwd: p.dir }).stdout.trim();
  writeFileSync(path.join(p.dir, "plain.yml"), `FILE_PEM: |\n${FILE_LINES.map((l) => `  ${l}\n`).join("")}`);
  expect(cli(["secrets", "encrypt", "plain.yml", "secrets.enc"], { cwd: p.dir, env: { SLIPWAY_SECRETS_KEY: key } }).code).toBe(0);
  writeFileSync(path.join(p.dir, "plain.yml"), "");
  return { key };
}

const hosts = (names: string[][]) => names.map(([n, role]) => `      - { name: ${n}, transport: local, deploy_to: ./hosts/${n}, roles: [${role}] }`).join("\n");

describe("secrets never leak", () => {
  it("a multi-line secret printed by the build, and the secrets key, reach no output, log or store; --plan --json carries none", () => {
    p = new Project("slipway-secrets-");
    p.repo.commit({ VERSION: "1" });
    const { key } = setupSecrets();
    p.writeConfig(`app: testapp
source: { git: ./app, ref: main }
secret_env: [CANARY_PEM]
secrets_file: secrets.enc
build:
  - printf '%s\\n' "$CANARY_PEM" "$FILE_PEM"; printf '%s\\n' "$CANARY_PEM" "$FILE_PEM" >&2
hooks:
  before:
    switch:
      - run: env; echo "key=$SLIPWAY_SECRETS_KEY"
        local: true
environments:
  prod:
    hosts:
${hosts([
  ["h1", "web"],
  ["h2", "web"],
])}
`);
    const env = { CANARY_PEM: ENV_LINES.join("\n"), SLIPWAY_SECRETS_KEY: key };
    // State left world-readable by an older version is corrected when opened.
    const st = path.join(p.dir, ".slipway");
    mkdirSync(path.join(st, "logs"), { recursive: true });
    writeFileSync(path.join(st, "logs", "old.log"), "old\n");
    writeFileSync(path.join(st, "state.db"), "");
    for (const [f, m] of [
      [st, 0o755],
      [path.join(st, "logs"), 0o755],
      [path.join(st, "logs", "old.log"), 0o644],
      [path.join(st, "state.db"), 0o644],
    ] as const)
      chmodSync(f, m);
    const outputs: string[] = [];
    const plan = p.runWith(env, "prod", "deploy", "--plan", "--json");
    expect(plan.code, plan.stderr).toBe(0);
    expect(JSON.parse(plan.stdout).stages.length).toBeGreaterThan(0);
    outputs.push(plan.stdout, plan.stderr);
    const planText = p.runWith(env, "prod", "deploy", "--plan");
    outputs.push(planText.stdout, planText.stderr);
    const verbose = p.runWith(env, "prod", "deploy", "--verbose");
    expect(verbose.code, verbose.stderr).toBe(0);
    expect(verbose.stderr).toContain("[REDACTED]");
    outputs.push(verbose.stdout, verbose.stderr);
    const json = p.runWith(env, "prod", "deploy", "--json");
    expect(json.code, json.stderr).toBe(0);
    outputs.push(json.stdout, json.stderr);
    for (const a of [
      ["config", "print"],
      ["config", "print", "--json"],
    ]) {
      const c = p.runWith(env, "prod", ...a);
      expect(c.code, c.stderr).toBe(0);
      outputs.push(c.stdout, c.stderr);
    }
    const all = [...outputs, everything(path.join(p.dir, ".slipway"))];
    for (const t of all) {
      for (const l of [...ENV_LINES, ...FILE_LINES, key]) expect(t).not.toContain(l);
    }
    // The local hook's environment has no secrets key at all (not merely a masked one).
    expect(verbose.stderr).toMatch(/\| key=$/m);
    expect(verbose.stderr).not.toMatch(/SLIPWAY_SECRETS_KEY=/);
    expectPrivateState(p.dir);
  });
});

describe("the secrets key stays on the control machine", () => {
  it("artifact_build commands (run here) do not inherit SLIPWAY_SECRETS_KEY", () => {
    p = new Project("slipway-secrets-");
    p.repo.commit({ VERSION: "1" });
    const { key } = setupSecrets();
    p.writeConfig(`app: testapp
source: { git: ./app, ref: main, distribute: artifact, artifact_build: ['mkdir -p dist && echo "key=$SLIPWAY_SECRETS_KEY" > dist/key.txt'], artifact_path: dist }
secrets_file: secrets.enc
environments:
  prod:
    hosts:
${hosts([["h1", "web"]])}
`);
    const r = p.runWith({ SLIPWAY_SECRETS_KEY: key }, "prod", "deploy");
    expect(r.code, r.stderr).toBe(0);
    expect(p.read("h1", "current/key.txt")).toBe("key=\n");
  });
});

describe("update-config", () => {
  const config = (dir: string) => `app: testapp
source: { git: ./app, ref: main }
secret_env: [CANARY_PEM]
services:
  marker:
    backend: command
    start: echo "$SLIPWAY_HOST" >> ${dir}/restarts
    stop: "true"
config_files:
  - { template: templates/key.pem, dest: shared/key.pem, roles: [web] }
  - { template: templates/app.conf, dest: shared/app.conf }
environments:
  prod:
    hosts:
${hosts([
  ["h1", "web"],
  ["h2", "worker"],
])}
`;

  it("a rotated multi-line secret: neither old nor new value prints; no temp files; keyed hashes; private modes", () => {
    p = new Project("slipway-secrets-");
    p.repo.commit({ VERSION: "1" });
    p.writeConfig(config(p.dir));
    mkdirSync(path.join(p.dir, "templates"));
    writeFileSync(path.join(p.dir, "templates/key.pem"), "# key\n{{ CANARY_PEM }}\nHOST={{ SLIPWAY_HOST }}\n");
    writeFileSync(path.join(p.dir, "templates/app.conf"), "debug=false\n");
    // An attacker's symlink at the old predictable temp name must not be followed.
    mkdirSync(p.hostDir("h1") + "/shared", { recursive: true });
    symlinkSync(path.join(p.dir, "stolen"), path.join(p.hostDir("h1"), "shared/key.pem.slipway-tmp"));
    // The diff is made in memory: an unusable TMPDIR does not matter.
    const tmp = { TMPDIR: path.join(p.dir, "no-such-tmp") };
    const oldEnv = { ...tmp, CANARY_PEM: OLD_LINES.join("\n") };
    const newEnv = { ...tmp, CANARY_PEM: NEW_LINES.join("\n") };
    const outputs: string[] = [];
    let r = p.runWith(oldEnv, "prod", "update-config");
    expect(r.code, r.stderr).toBe(0);
    outputs.push(r.stdout, r.stderr);
    expect(p.read("h1", "shared/key.pem")).toBe(`# key\n${OLD_LINES.join("\n")}\nHOST=h1\n`);
    expect(existsSync(path.join(p.dir, "stolen"))).toBe(false);

    r = p.runWith(newEnv, "prod", "update-config", "--diff");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("shared/key.pem");
    outputs.push(r.stdout, r.stderr);
    r = p.runWith(newEnv, "prod", "update-config", "--json");
    expect(r.code, r.stderr).toBe(0);
    outputs.push(r.stdout, r.stderr);
    // --json: NDJSON only on stdout.
    const lines = r.stdout.split("\n").filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(() => JSON.parse(l), l).not.toThrow();
    expect(lines.some((l) => JSON.parse(l).type === "config:diff")).toBe(true);
    expect(p.read("h1", "shared/key.pem")).toContain(NEW_LINES[0]);

    for (const t of [...outputs, everything(path.join(p.dir, ".slipway"))]) {
      for (const l of [...OLD_LINES, ...NEW_LINES]) expect(t).not.toContain(l);
    }
    // The recorded hash of a secret-bearing file cannot be checked against guesses offline.
    const state = readFileSync(path.join(p.hostDir("h1"), ".slipway/config-state.json"), "utf8");
    for (const content of [`# key\n${OLD_LINES.join("\n")}\nHOST=h1\n`, p.read("h1", "shared/key.pem")]) {
      expect(state).not.toContain(createHash("sha256").update(content).digest("hex"));
    }
    // Nothing staged is left behind; the planted symlink was never written through.
    expect(readdirSync(path.join(p.hostDir("h1"), "shared")).sort()).toEqual(["app.conf", "key.pem", "key.pem.slipway-tmp"]);
    expect(existsSync(path.join(p.dir, "stolen"))).toBe(false);
    expectPrivateState(p.dir);
    // Drift detection still works with keyed hashes.
    expect(p.runWith(newEnv, "prod", "config", "drift").code).toBe(0);
    writeFileSync(path.join(p.hostDir("h1"), "shared/key.pem"), "edited\n");
    r = p.runWith(newEnv, "prod", "config", "drift");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/h1\s+shared\/key.pem\s+changed on the host/);
  });

  it("--restart restarts only the hosts whose files changed", () => {
    p = new Project("slipway-secrets-");
    p.repo.commit({ VERSION: "1" });
    p.writeConfig(config(p.dir));
    mkdirSync(path.join(p.dir, "templates"));
    writeFileSync(path.join(p.dir, "templates/key.pem"), "{{ CANARY_PEM }}\n");
    writeFileSync(path.join(p.dir, "templates/app.conf"), "debug=false\n");
    const env = { CANARY_PEM: NEW_LINES.join("\n") };
    expect(p.runWith(env, "prod", "update-config").code).toBe(0);
    // Services start inside the current release.
    expect(p.runWith(env, "prod", "deploy").code).toBe(0);
    rmSync(path.join(p.dir, "restarts"), { force: true });
    writeFileSync(path.join(p.dir, "templates/key.pem"), "{{ CANARY_PEM }}\nmore=1\n");
    const r = p.runWith(env, "prod", "update-config", "--restart");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/services restarted on h1\n/);
    expect(readFileSync(path.join(p.dir, "restarts"), "utf8")).toBe("h1\n");
  });
});

describe("terminal escapes from hosts", () => {
  it("a lock reason with escape sequences is shown without any ESC or BEL byte", () => {
    p = new Project("slipway-secrets-");
    p.repo.commit({ VERSION: "1" });
    p.writeConfig(`app: testapp
source: { git: ./app, ref: main }
environments:
  prod:
    hosts:
${hosts([["h1", "web"]])}
`);
    const reason = "maint \x1b]0;pwned\x07\x1b[31m red";
    let r = p.run("prod", "lock", "acquire", "-m", reason);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(/[\x1b\x07]/);
    r = p.run("prod", "lock", "status");
    expect(r.stdout).toContain("maint");
    expect(r.stdout + r.stderr).not.toMatch(/[\x1b\x07]/);
    r = p.run("prod", "history");
    expect(r.stdout + r.stderr).not.toMatch(/[\x1b\x07]/);
  });
});
