/**
 * `--plan` for the operations verbs through the built CLI on local hosts: each prints its plan (text
 * and JSON), takes no lock (a held manual lock does not stop it) and changes nothing on the hosts.
 */
import { existsSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { basicConfig, Project } from "../helpers.js";

let p: Project;
afterEach(() => p?.cleanup());

const opsConfig = (dir: string) =>
  basicConfig(`services:
  marker:
    backend: command
    start: echo start >> ${dir}/started
    stop: "true"
after_reboot:
  - touch ${dir}/rebooted`);

describe("operations --plan", () => {
  it("service, downtime and after-reboot print their plans as text and JSON, hold no lock and change nothing", () => {
    p = new Project();
    p.repo.commit({ VERSION: "1" });
    p.writeConfig(opsConfig(p.dir));
    expect(p.run("prod", "deploy").code).toBe(0);
    const started = path.join(p.dir, "started");
    rmSync(started, { force: true });
    const flag = path.join(p.hostDir("h1"), "shared/maintenance/on");
    // A manual lock: a verb that took the lock would fail; a plan does not take it.
    expect(p.run("prod", "lock", "acquire", "-m", "hold").code).toBe(0);

    let r = p.run("prod", "service", "marker", "restart", "--plan");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^plan: service restart prod\n/);
    expect(r.stdout).toMatch(
      /service restart on h1, h2 \(one round trip per host\):\n {2}h1, h2 \(2 hosts\):\n {4}service restart \$ restart marker\n {4}service restart \$ wait for marker to be healthy\n/,
    );
    const svc = JSON.parse(p.run("prod", "service", "marker", "restart", "--plan", "--json").stdout);
    expect(svc).toMatchObject({ verb: "service", action: "restart", hosts: ["h1", "h2"], lock: null, services: { h1: ["marker"], h2: ["marker"] } });
    expect(svc.stages[0].scripts.h2.sections[0].commands.map((c: { display: string }) => c.display)).toEqual([
      "restart marker",
      "wait for marker to be healthy",
    ]);
    expect(p.run("prod", "service", "marker", "status", "--plan").code).toBe(2);

    r = p.run("prod", "downtime", "start", "--plan", "--message", "back soon");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^plan: downtime start prod\n/);
    expect(r.stdout).toContain("lock      on h1:");
    expect(r.stdout).toMatch(/maintenance page on h1, h2 \(one round trip per host\):\n {2}h1, h2 \(2 hosts\):\n {4}downtime \$ put up the maintenance page/);
    expect(r.stdout).toContain("service stop $ stop marker");
    expect(r.stdout).toMatch(/stragglers on h1, h2: wait up to 30s .* then stop with their list/);
    const end = JSON.parse(p.run("prod", "downtime", "end", "--plan", "--json").stdout);
    expect(end).toMatchObject({ verb: "downtime", action: "end", lock: "h1", pageHosts: ["h1", "h2"] });
    expect(end.stages.map((s: { label: string }) => s.label)).toEqual(["service start", "maintenance page"]);

    r = p.run("prod", "after-reboot", "--plan");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^plan: after-reboot prod\n/);
    expect(r.stdout).toContain(`reboot hooks $ touch ${p.dir}/rebooted`);
    expect(r.stdout).toContain("start services $ start marker");
    expect(r.stdout).toContain("report    on h1, h2: probe every service");
    expect(JSON.parse(p.run("prod", "after-reboot", "--plan", "--json").stdout).stages.map((s: { kind: string }) => s.kind)).toEqual(["hosts", "report"]);

    // Nothing ran: no service start, no page, no hook; the real verbs do change things.
    expect(existsSync(started)).toBe(false);
    expect(existsSync(flag)).toBe(false);
    expect(existsSync(path.join(p.dir, "rebooted"))).toBe(false);
    expect(p.run("prod", "downtime", "start").stderr).toMatch(/locked/);
    expect(existsSync(flag)).toBe(false);
    expect(p.run("prod", "lock", "release").code).toBe(0);
    r = p.run("prod", "after-reboot");
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(path.join(p.dir, "rebooted"))).toBe(true);
    expect(existsSync(started)).toBe(true);
  });

  it("cleanup --plan --json prints the plan as data, even under a held lock, and removes nothing", () => {
    p = new Project();
    p.writeConfig(basicConfig().replace("keep_releases: 3", "keep_releases: 5"));
    const ids: string[] = [];
    for (let i = 1; i <= 3; i++) {
      p.repo.commit({ VERSION: String(i) });
      expect(p.run("prod", "deploy").code).toBe(0);
      ids.push(p.current("h1")!);
    }
    p.writeConfig(basicConfig().replace("keep_releases: 3", "keep_releases: 1"));
    expect(p.run("prod", "lock", "acquire", "-m", "hold").code).toBe(0);
    const r = p.run("prod", "cleanup", "--plan", "--json");
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan).toMatchObject({ verb: "cleanup", env: "prod", hosts: ["h1", "h2"], lock: "h1", removals: { h1: [ids[0]], h2: [ids[0]] } });
    expect(plan.stages[0]).toMatchObject({ kind: "hosts", label: "cleanup", hosts: ["h1", "h2"] });
    expect(plan.stages[0].scripts.h1.sections[0].commands[0].display).toBe(`remove releases ${ids[0]}`);
    // The text plan is still the summary it always was.
    expect(p.run("prod", "cleanup", "--plan").stderr).toContain(`h1: would remove ${ids[0]}`);
    expect(JSON.parse(p.run("prod", "clean-releases", "--plan", "--json").stdout)).toMatchObject({
      verb: "clean-releases",
      removals: { h1: [], h2: [] },
      stages: [],
    });
    expect(p.releases("h1")).toEqual(ids);
    expect(p.releases("h2")).toEqual(ids);
  });
});

describe("update-config --plan", () => {
  it("shows the diffs and each host's push by description, never a secret (even one with quotes), and pushes nothing", () => {
    p = new Project();
    p.repo.commit({ VERSION: "1" });
    const secret = "it's-a-s3cret\"value";
    p.writeConfig(
      basicConfig(`secret_env: [DB_PASSWORD]
config_files:
  - { template: settings.tmpl, dest: shared/settings.py }`),
    );
    writeFileSync(path.join(p.dir, "settings.tmpl"), `PASSWORD = "{{ DB_PASSWORD }}"\nDEBUG = 1\n`);
    const env = { DB_PASSWORD: secret };
    const text = p.runWith(env, "prod", "update-config", "--plan");
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^plan: update-config \(changes on h1, h2\)/);
    expect(text.stdout).toContain('+PASSWORD = "[REDACTED]"');
    expect(text.stdout).toContain("$ write shared/settings.py (mode 0600)");
    const json = p.runWith(env, "prod", "update-config", "--plan", "--json");
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ verb: "update-config", changedHosts: ["h1", "h2"] });
    for (const out of [text.stdout, text.stderr, json.stdout, json.stderr]) {
      expect(out).not.toContain("s3cret");
      expect(out).not.toContain("a-s3");
    }
    expect(existsSync(path.join(p.hostDir("h1"), "shared/settings.py"))).toBe(false);
  });
});
