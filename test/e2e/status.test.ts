/** `status` and `pending` through the built CLI against real sshd hosts, with the app repo served by a git daemon. */
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fleet, SKIP_FLEET } from "../fleet.js";
import { cli, cliSpawn, Project, Repo, tmpdir, waitFor, type CliResult } from "../helpers.js";

let fleet: Fleet;
const NAMES = ["web1", "web2", "worker1"];

beforeAll(async () => {
  if (!SKIP_FLEET) fleet = await Fleet.start(NAMES);
}, 60_000);
afterAll(() => {
  // The command-backend services are plain processes of the host users: stop them before the fleet goes.
  for (const h of NAMES) if (fleet) fleet.asUser(h, 'for f in apps/*/shared/ticker.pid; do [ -f "$f" ] && kill $(cat "$f") 2>/dev/null; done; true');
  fleet?.stop();
});

let appSeq = 0;
/** A project on the fleet whose repo the git daemon serves (a remote URL: pending fetches into its cache). */
function project(extra = "") {
  const app = `st${++appSeq}`;
  const repo = new Repo(path.join(fleet.gitBase, app));
  const dir = tmpdir();
  writeFileSync(
    path.join(dir, "slipway.yml"),
    `app: ${app}
source: { git: "${fleet.gitUrl(app)}", ref: main }
${extra}
environments:
  prod:
    hosts:
${NAMES.map((h) => `      - { name: ${h}, address: ${h}, roles: [${h.startsWith("web") ? "web" : "worker"}] }`).join("\n")}
`,
  );
  const run = (...args: string[]): CliResult => cli(args, { cwd: dir, env: fleet.env });
  const onHost = (h: string, command: string) => fleet.asUser(h, `cd apps/${app} && ${command}`);
  /** A commit by a named author, writing `files`. */
  const commitBy = (author: string, subject: string, files: Record<string, string>) => {
    for (const [f, body] of Object.entries(files)) writeFileSync(path.join(repo.dir, f), body);
    repo.git("add", "-A");
    repo.git("commit", "-q", "--author", author, "-m", subject);
    return repo.git("rev-parse", "HEAD");
  };
  return { app, repo, dir, run, onHost, commitBy };
}

describe.skipIf(SKIP_FLEET)("status", () => {
  it("after deploys: ok (exit 0), the subject and deployer; a host switched by hand is named with what it runs (exit 1); --json", () => {
    const p = project();
    p.commitBy("Ada Lovelace <ada@example.invalid>", "first version", { VERSION: "1" });
    expect(p.run("prod", "deploy").code).toBe(0);
    const old = p.onHost("web1", "readlink current").trim().replace("releases/", "");
    p.commitBy("Ada Lovelace <ada@example.invalid>", "Show the version on the front page", { VERSION: "2" });
    expect(p.run("prod", "deploy").code).toBe(0);
    const cur = p.onHost("web1", "readlink current").trim().replace("releases/", "");

    let r = p.run("prod", "status");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${p.app} prod (3 hosts, primary web1)`);
    expect(r.stdout).toMatch(new RegExp(`current\\s+${cur}  [0-9a-f]{12}  "Show the version on the front page"`));
    expect(r.stdout).toMatch(/deployed by \S+@\S+ at \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ \(ref main\)/);
    expect(r.stdout).toContain(`hosts     all 3 on ${cur}`);
    expect(r.stdout).toContain("lock      not held");
    expect(r.stdout).toContain("deploy    none in progress");
    expect(r.stdout).toContain("pending   up to date");

    // web2 put back on the old release by hand
    p.onHost("web2", `ln -sfn releases/${old} current`);
    r = p.run("prod", "status");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`hosts     1 disagree with ${cur}:`);
    expect(r.stdout).toMatch(new RegExp(`web2: runs ${old} \\([0-9a-f]{12}\\)`));
    expect(r.stderr).toMatch(/web2 disagrees: runs /);

    r = p.run("prod", "status", "--json");
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      app: p.app,
      env: "prod",
      primary: "web1",
      hostCount: 3,
      ok: false,
      current: { release: cur, subject: "Show the version on the front page", ref: "main" },
      disagree: [{ host: "web2", release: old }],
      lock: null,
      deploy: null,
      services: [],
      pending: { state: "up-to-date", count: 0, ref: "main" },
    });
    expect(j.current.commit).toMatch(/^[0-9a-f]{40}$/);
  });

  it("names the lock holder, and an interrupted deploy with the exact resume command", () => {
    const p = project();
    const c1 = p.commitBy("Ada Lovelace <ada@example.invalid>", "first version", { VERSION: "1" });
    expect(p.run("prod", "deploy").code).toBe(0);
    const cur = p.onHost("web1", "readlink current").trim().replace("releases/", "");
    expect(p.run("prod", "lock", "acquire", "-m", "database maintenance").code).toBe(0);
    let r = p.run("prod", "status");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/lock\s+held by \S+ for \d+s; manual lock: "database maintenance"; pid \d+ on \S+; slipway /);
    expect(p.run("prod", "lock", "release").code).toBe(0);

    // The record a deploy keeps on the primary until it finishes, as a killed deploy leaves it.
    const rec = { release: "20261202-101010-abcdef0", commit: c1, ref: "main", by: "ops@laptop", startedAt: "2026-12-02T10:10:10.000Z", previous: cur };
    p.onHost("web1", `printf '%s' '${JSON.stringify(rec)}' > .slipway/deploying`);
    r = p.run("prod", "status");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`deploy    INTERRUPTED: 20261202-101010-abcdef0 (${c1.slice(0, 12)}, ref main) started by ops@laptop at 2026-12-02 10:10:10Z`);
    expect(r.stdout).toContain("resume with: slipway prod deploy --resume");
    expect(JSON.parse(p.run("prod", "status", "--json").stdout).deploy).toMatchObject({ state: "interrupted", resume: "slipway prod deploy --resume" });

    // malformed host data is a warning, never a failure of status
    p.onHost("web1", "printf 'not json' > .slipway/deploying");
    r = p.run("prod", "status");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/web1.*unexpected data on the host/);
    expect(r.stdout).toContain("deploy    none in progress");

    // an unreadable manifest of what runs: pending is unknown, not "nothing deployed" with all history
    p.onHost("web1", `printf '{oops' > releases/${cur}/.slipway/manifest.json`);
    r = p.run("prod", "status");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`pending   unknown (the running release ${cur} has no readable manifest)`);
    expect(p.run("prod", "pending").stdout).toBe(`pending: unknown (the running release ${cur} has no readable manifest)\n`);
  });

  it("a deploy under way is in progress; killed, it is interrupted (stale lock named) and status says how to resume", async () => {
    const p = project("build:\n  - test ! -f SLOW || sleep 30");
    p.commitBy("Ada Lovelace <ada@example.invalid>", "first version", { VERSION: "1" });
    expect(p.run("prod", "deploy").code).toBe(0);
    p.commitBy("Ada Lovelace <ada@example.invalid>", "slow build", { SLOW: "" });
    const d = cliSpawn(["prod", "deploy"], { cwd: p.dir, env: fleet.env });
    const rec = path.join(fleet.host("web1").home, "apps", p.app, ".slipway", "deploying");
    await waitFor(() => existsSync(rec));
    let r = p.run("prod", "status");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/lock\s+held by \S+ for \d+s; deploy; pid \d+/);
    expect(r.stdout).toMatch(/deploy\s+in progress: \d{8}-\d{6}-[0-9a-f]{7} \([0-9a-f]{12}, ref main\) started by /);
    d.kill("SIGKILL");
    await d.done;
    r = p.run("prod", "status");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("the holder process is gone: the lock is stale. Clear it with: slipway prod lock release");
    expect(r.stdout).toMatch(/deploy\s+INTERRUPTED: .*\n\s+resume with: slipway prod deploy --resume\n/);
  });

  it("a command-backend service stopped on one host: healthy/total per role, the host named, exit 1", () => {
    const p = project(`services:
  ticker:
    backend: command
    roles: [web]
    start: nohup sleep 6000 > /dev/null 2>&1 < /dev/null & echo $! > ../../shared/ticker.pid
    stop: kill $(cat ../../shared/ticker.pid)
    pid_file: shared/ticker.pid`);
    p.commitBy("Ada Lovelace <ada@example.invalid>", "first version", { VERSION: "1" });
    let r = p.run("prod", "deploy");
    expect(r.code, r.stderr).toBe(0);
    r = p.run("prod", "status");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("services  web/ticker: 2/2 healthy");
    p.onHost("web2", "kill $(cat shared/ticker.pid)");
    r = p.run("prod", "status");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("services  web/ticker: 1/2 healthy; unhealthy: web2 (no live process for shared/ticker.pid)");
    expect(r.stderr).toContain("ticker unhealthy on web2 (web)");
    const j = JSON.parse(p.run("prod", "status", "--json").stdout);
    expect(j.services).toEqual([
      { role: "web", service: "ticker", healthy: 1, total: 2, unhealthy: [{ host: "web2", output: "no live process for shared/ticker.pid" }] },
    ]);
  });
});

describe.skipIf(SKIP_FLEET)("pending", () => {
  it("nothing deployed, 3 new commits (subjects, authors, files), up to date, and at the top of deploy --plan", () => {
    const p = project();
    p.commitBy("Ada Lovelace <ada@example.invalid>", "first version", { VERSION: "1" });
    let r = p.run("prod", "pending");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^pending: nothing deployed yet; 1 commit up to main \([0-9a-f]{12}\)\n/);
    expect(r.stdout).toMatch(/Ada Lovelace\s+first version/);
    expect(p.run("prod", "deploy").code).toBe(0);
    const running = p.repo.git("rev-parse", "HEAD");

    p.commitBy("Grace Hopper <grace@example.invalid>", "Add the health endpoint", { "health.txt": "ok\n" });
    p.commitBy("Ada Lovelace <ada@example.invalid>", "Bump VERSION to 2", { VERSION: "2\n" });
    const head = p.commitBy("Edsger Dijkstra <ewd@example.invalid>", "Document the release steps", { "RELEASING.md": "1. tag\n2. deploy\n" });
    r = p.run("prod", "pending");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`pending: 3 commits between ${running.slice(0, 12)} (running) and main (${head.slice(0, 12)})`);
    expect(r.stdout).toMatch(/Edsger Dijkstra\s+Document the release steps\n.*Ada Lovelace\s+Bump VERSION to 2\n.*Grace Hopper\s+Add the health endpoint\n/);
    expect(r.stdout).toMatch(/RELEASING\.md\s+2\s+0/);
    expect(r.stdout).toMatch(/VERSION\s+1\s+1/);
    expect(r.stdout).toContain("3 file(s) changed, +4 -1");
    const j = JSON.parse(p.run("prod", "pending", "--json").stdout);
    expect(j).toMatchObject({ state: "ahead", ref: "main", from: running, to: head, count: 3 });
    expect(j.commits.map((c: { author: string }) => c.author)).toEqual(["Edsger Dijkstra", "Ada Lovelace", "Grace Hopper"]);
    expect(j.files.map((f: { path: string }) => f.path).sort()).toEqual(["RELEASING.md", "VERSION", "health.txt"]);
    expect(p.run("prod", "status").stdout).toContain(`pending   3 commits between ${running.slice(0, 12)}`);

    // --ref at what runs: up to date
    r = p.run("prod", "pending", "--ref", running);
    expect(r.stdout).toBe(`pending: up to date (${running} is ${running.slice(0, 12)}, which runs now)\n`);

    // deploy --plan starts with the same summary (text) and carries it (JSON)
    r = p.run("prod", "deploy", "--plan");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.startsWith(`pending: 3 commits between ${running.slice(0, 12)} (running) and main (${head.slice(0, 12)})\n`)).toBe(true);
    expect(r.stdout).toMatch(/Document the release steps[\s\S]*3 file\(s\) changed[\s\S]*web1/);
    const plan = JSON.parse(p.run("prod", "deploy", "--plan", "--json").stdout);
    expect(plan.pending).toMatchObject({ state: "ahead", count: 3, to: head });
    expect(plan.commit).toBe(head);

    expect(p.run("prod", "deploy").code).toBe(0);
    expect(p.run("prod", "pending").stdout).toMatch(/^pending: up to date/);
  });

  it("a ref that does not contain what runs: says a deploy would go back", () => {
    const p = project();
    const first = p.commitBy("Ada Lovelace <ada@example.invalid>", "first version", { VERSION: "1" });
    p.commitBy("Ada Lovelace <ada@example.invalid>", "second version", { VERSION: "2" });
    expect(p.run("prod", "deploy").code).toBe(0);
    const r = p.run("prod", "pending", "--ref", first);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^pending: the ref does not contain what runs; a deploy would go back: .* lacks 1 commit\(s\)/);
  });
});

describe("pending: local sources", () => {
  it("a directory source says pending is for git sources; a local repo path is read in place", () => {
    const p = new Project();
    p.repo.commit({ VERSION: "1" }, "local first");
    p.writeConfig(`app: loc
source: { dir: ./app }
environments:
  prod:
    hosts:
      - { name: h1, transport: local, deploy_to: ./hosts/h1 }
`);
    let r = p.run("prod", "pending");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("pending is for git sources");
    p.writeConfig(`app: loc
source: { git: ./app, ref: main }
environments:
  prod:
    hosts:
      - { name: h1, transport: local, deploy_to: ./hosts/h1 }
`);
    r = p.run("prod", "pending");
    expect(r.stdout).toMatch(/^pending: nothing deployed yet; 1 commit up to main/);
    expect(r.stdout).toMatch(/Test\s+local first/);
    p.cleanup();
  });
});
