/** update-config on the ssh fleet: templates, encrypted secrets, 0600, diffs, drift guard, config drift. */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fleet, SKIP_FLEET } from "../fleet.js";
import { cli, Repo, tmpdir } from "../helpers.js";

let fleet: Fleet;
beforeAll(async () => {
  if (!SKIP_FLEET) fleet = await Fleet.start(["web1", "worker1"]);
}, 60_000);
afterAll(() => fleet?.stop());

describe.skipIf(SKIP_FLEET)("update-config", () => {
  it("renders and pushes settings (0600 for secrets, secrets never printed), diffs, and guards against older checkouts", () => {
    const app = new Repo(path.join(fleet.gitBase, "capp"));
    app.commit({ VERSION: "1" });
    const cfg = new Repo(tmpdir());
    const key = cli(["secrets", "keygen"], { cwd: cfg.dir }).stdout.trim();
    const secret = "s3cr3t-Passw0rd-xyz";
    writeFileSync(path.join(cfg.dir, "plain.yml"), `DB_PASSWORD: ${secret}\n`);
    expect(cli(["secrets", "encrypt", "plain.yml", "secrets.enc"], { cwd: cfg.dir, env: { SLIPWAY_SECRETS_KEY: key } }).code).toBe(0);
    execFileSync("rm", [path.join(cfg.dir, "plain.yml")]);
    const yml = (debug: string) => `app: capp
source: { git: "${fleet.gitUrl("capp")}", ref: main }
secrets_file: secrets.enc
vars: { DEBUG: "${debug}" }
services:
  marker:
    backend: command
    roles: [worker]
    start: date +%s%N >> ~/marker-starts
    stop: "true"
config_files:
  - { template: templates/localsettings.py, dest: shared/localsettings.py, roles: [web] }
  - { template: templates/app.properties, dest: shared/app.properties, roles: [worker], mode: "0640" }
environments:
  prod:
    hosts:
      - { name: web1, address: web1, roles: [web] }
      - { name: worker1, address: worker1, roles: [worker] }
`;
    const v1 = cfg.commit({
      "slipway.yml": yml("false"),
      "templates/localsettings.py": `DEBUG = {{ DEBUG }}\nDB_PASSWORD = "{{ DB_PASSWORD }}"\nHOST = "{{ SLIPWAY_HOST }}"\n`,
      "templates/app.properties": `debug={{ DEBUG }}\n`,
    });
    const env = { ...fleet.env, SLIPWAY_SECRETS_KEY: key };
    const run = (dir: string, ...a: string[]) => cli(a, { cwd: dir, env });
    const remote = (h: string, f: string) => path.join(fleet.host(h).home, "apps/capp", f);

    let r = run(cfg.dir, "prod", "update-config", "--diff");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('+DB_PASSWORD = "[REDACTED]"');
    expect(() => statSync(remote("web1", "shared/localsettings.py"))).toThrow();

    r = run(cfg.dir, "prod", "update-config");
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(remote("web1", "shared/localsettings.py"), "utf8")).toBe(`DEBUG = false\nDB_PASSWORD = "${secret}"\nHOST = "web1"\n`);
    expect(statSync(remote("web1", "shared/localsettings.py")).mode & 0o777).toBe(0o600);
    expect(statSync(remote("worker1", "shared/app.properties")).mode & 0o777).toBe(0o640);
    const logs = readdirSync(path.join(cfg.dir, ".slipway", "logs"))
      .map((f) => readFileSync(path.join(cfg.dir, ".slipway", "logs", f), "utf8"))
      .join("");
    const db = new Database(path.join(cfg.dir, ".slipway", "state.db"), { readonly: true });
    const stored = (db.prepare("SELECT json FROM events").all() as { json: string }[]).map((x) => x.json).join("");
    db.close();
    for (const t of [r.stdout, r.stderr, logs, stored, run(cfg.dir, "prod", "config", "print").stdout]) expect(t).not.toContain(secret);

    // a newer commit changes DEBUG: the diff shows it
    cfg.commit({ "slipway.yml": yml("true") });
    r = run(cfg.dir, "prod", "update-config");
    expect(r.code, r.stderr).toBe(0);
    // The file carries a secret: the host's old lines are shown only as template text, so the
    // changed old line is masked (an old secret could be on it).
    expect(r.stdout).toMatch(/-\[REDACTED\]\n\+DEBUG = true/);

    // an older checkout (someone who did not pull) is refused, naming the last pusher
    const old = tmpdir();
    execFileSync("git", ["clone", "-q", cfg.dir, old]);
    execFileSync("git", ["-C", old, "checkout", "-q", v1]);
    r = run(old, "prod", "update-config");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /update-config refused \(drift guard\):\n\s+web1 last received config revision \w{12} from \S+@\S+ at \S+ with slipway \S+; your checkout \(\w{12}\) is older or has diverged: pull first/,
    );
    expect(readFileSync(remote("web1", "shared/localsettings.py"), "utf8")).toContain("DEBUG = true");
    r = run(old, "prod", "deploy");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/deploy refused \(drift guard\)/);
    r = run(old, "prod", "update-config", "--force");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(remote("web1", ".slipway/config-state.json"), "utf8"))).toMatchObject({ forced: true, revision: v1 });

    // --restart restarts the services of the hosts that got changes
    cfg.commit({ "slipway.yml": yml("restart-me") });
    expect(run(cfg.dir, "prod", "deploy").code).toBe(0);
    execFileSync("rm", ["-f", path.join(fleet.host("worker1").home, "marker-starts")]);
    expect(() => readFileSync(path.join(fleet.host("worker1").home, "marker-starts"), "utf8")).toThrow();
    r = run(cfg.dir, "prod", "update-config", "--restart", "--limit", "worker1");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/services restarted/);
    expect(
      readFileSync(path.join(fleet.host("worker1").home, "marker-starts"), "utf8")
        .trim()
        .split("\n"),
    ).toHaveLength(1);

    // hand edits show up as drift
    expect(run(cfg.dir, "prod", "config", "drift").code).toBe(0);
    writeFileSync(remote("worker1", "shared/app.properties"), "debug=edited-by-hand\n");
    r = run(cfg.dir, "prod", "config", "drift");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/worker1\s+shared\/app.properties\s+changed on the host since \S+ pushed it at/);
  }, 120_000);
});
