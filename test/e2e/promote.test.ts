/**
 * Promotion and hand-edit detection through the built CLI on the sshd fleet: `production promote
 * --from qa` ships qa's exact commit after the branch moved on; `qa cut` creates, fast-forwards and
 * refuses a rewrite of the staging branch; a file edited in a release on a host is listed by
 * verify-release and refuses a deploy (unless --override hand-edits) and a rollback (unless --force).
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fleet, SKIP_FLEET } from "../fleet.js";
import { cliSpawn, Repo, tmpdir, type CliResult } from "../helpers.js";

let fleet: Fleet;
const NAMES = ["qa1", "web1", "web2"];

beforeAll(async () => {
  if (!SKIP_FLEET) fleet = await Fleet.start(NAMES);
}, 60_000);
afterAll(() => fleet?.stop());

let seq = 0;
function project(opts: { repo?: string; url?: string; extra?: string } = {}) {
  const app = `pr${++seq}`;
  const repo = new Repo(opts.repo ?? path.join(fleet.gitBase, app));
  const dir = tmpdir();
  const state = tmpdir();
  writeFileSync(
    path.join(dir, "slipway.yml"),
    `app: ${app}
source: { git: "${opts.url ?? opts.repo ?? fleet.gitUrl(app)}", ref: main }
${opts.extra ?? ""}
environments:
  qa:
    staging_branch: staging
    hosts:
      - { name: qa1, address: qa1, roles: [web] }
  production:
    hosts:
      - { name: web1, address: web1, roles: [web] }
      - { name: web2, address: web2, roles: [web] }
`,
  );
  const run = (...args: string[]): Promise<CliResult> =>
    cliSpawn(args, { cwd: dir, env: { ...fleet.env, SLIPWAY_STATE_DIR: state, SLIPWAY_USER: "tester", FORCE_COLOR: "0" } }).done;
  const onHost = (h: string, command: string) => fleet.asUser(h, `cd apps/${app} && ${command}`);
  const currentCommit = (h: string) => JSON.parse(onHost(h, "cat current/.slipway/manifest.json")).commit as string;
  return { app, repo, dir, run, onHost, currentCommit };
}

describe.skipIf(SKIP_FLEET)("promote", () => {
  it("ships exactly the commit qa runs after main moved on, records the chain; refuses when qa's release is not ok", async () => {
    const p = project();
    const c1 = p.repo.commit({ "app.txt": "v1\n" }, "first");
    let r = await p.run("qa", "deploy");
    expect(r.code, r.stderr).toBe(0);
    const qaRelease = p.onHost("qa1", "readlink current").trim().replace("releases/", "");
    // main moves on after qa got c1: a promote must not ship c2.
    const c2 = p.repo.commit({ "app.txt": "v2\n" }, "second");
    expect(c2).not.toBe(c1);

    r = await p.run("production", "promote", "--from", "qa", "--plan");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`promoted from qa ${qaRelease} (${c1.slice(0, 12)})`);
    expect(r.stdout).toContain(c1);

    r = await p.run("production", "promote", "--from", "qa", "-m", "QA signed off");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr + r.stdout).toContain(`promoted qa's ${c1.slice(0, 12)}`);
    for (const h of ["web1", "web2"]) {
      expect(p.currentCommit(h)).toBe(c1);
      expect(p.onHost(h, "cat current/app.txt")).toBe("v1\n");
    }
    const last = JSON.parse(p.onHost("web1", "tail -n 1 .slipway/history.ndjson"));
    expect(last).toMatchObject({ verb: "deploy", outcome: "ok", toCommit: c1, promotedFrom: { env: "qa", release: qaRelease, commit: c1 } });
    expect(last.message).toBe(`promoted from qa ${qaRelease} (${c1.slice(0, 12)}): QA signed off`);
    r = await p.run("production", "history");
    expect(r.stdout).toContain(`promoted from qa ${qaRelease}`);

    // qa's current release marked bad: nothing is promoted.
    p.onHost("qa1", `printf bad > releases/${qaRelease}/.slipway/status`);
    r = await p.run("production", "promote", "--from", "qa");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`promote refused: qa's current release ${qaRelease} is bad, not ok`);
    expect(p.currentCommit("web1")).toBe(c1);

    r = await p.run("production", "promote");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--from <env> is required");
  }, 180_000);

  it("cut creates the staging branch, fast-forwards it, and refuses a rewrite naming both commits and the merge base", async () => {
    // A repository on this machine (the git daemon does not accept pushes): cut pushes to it.
    const p = project({ repo: path.join(tmpdir(), "src") });
    const c1 = p.repo.commit({ "a.txt": "1\n" }, "one");
    const c2 = p.repo.commit({ "a.txt": "2\n" }, "two");
    let r = await p.run("qa", "cut", "--from", "main", "--ref", c1);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`create staging: absent → ${c1.slice(0, 12)} (from main), pushed`);
    expect(p.repo.git("rev-parse", "refs/heads/staging")).toBe(c1);

    r = await p.run("qa", "cut", "--from", "main");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`fast-forward staging: ${c1.slice(0, 12)} → ${c2.slice(0, 12)}`);
    expect(p.repo.git("rev-parse", "refs/heads/staging")).toBe(c2);

    r = await p.run("qa", "cut", "--from", "main");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`staging is already at ${c2.slice(0, 12)}`);

    // A branch that forked at c1: moving staging there would drop c2.
    p.repo.git("checkout", "-q", "-b", "side", c1);
    const s1 = p.repo.commit({ "a.txt": "side\n" }, "side");
    r = await p.run("qa", "cut", "--from", "side");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cut refused: staging is at ${c2}, which is not an ancestor of ${s1}`);
    expect(r.stderr).toContain(`git merge-base: ${c1}`);
    expect(p.repo.git("rev-parse", "refs/heads/staging")).toBe(c2);

    // An older commit of main is a rewrite too (a cut never moves the branch back).
    r = await p.run("qa", "cut", "--from", "main", "--ref", c1);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("cut refused: staging is at");
    expect(p.repo.git("rev-parse", "refs/heads/staging")).toBe(c2);

    // A remote URL: the commits are read in this machine's mirror and the branch pushed from there.
    const bare = path.join(tmpdir(), "remote.git");
    const q = project({ repo: bare, url: `file://${bare}` });
    const d1 = q.repo.commit({ "a.txt": "1\n" }, "one");
    r = await q.run("qa", "cut", "--from", "main", "--plan");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`would create staging: absent → ${d1.slice(0, 12)}`);
    expect(() => q.repo.git("rev-parse", "--verify", "-q", "refs/heads/staging")).toThrow();
    r = await q.run("qa", "cut", "--from", "main");
    expect(r.code, r.stderr).toBe(0);
    expect(q.repo.git("rev-parse", "refs/heads/staging")).toBe(d1);
    const d2 = q.repo.commit({ "a.txt": "2\n" }, "two");
    r = await q.run("qa", "cut", "--from", "main");
    expect(r.code, r.stderr).toBe(0);
    expect(q.repo.git("rev-parse", "refs/heads/staging")).toBe(d2);
  }, 120_000);

  it("a file edited by hand in the current release: verify-release lists it; deploy and rollback refuse unless overridden", async () => {
    // A migration that rewrites a file of the release (like a schema dump) is part of what went live, not a hand edit.
    const p = project({ extra: "migrate: [date +%N > schema.dump]" });
    p.repo.commit({ "app.txt": "v1\n", "lib/util.txt": "u1\n" }, "first");
    let r = await p.run("qa", "deploy");
    expect(r.code, r.stderr).toBe(0);
    p.repo.commit({ "app.txt": "v2\n", "lib/util.txt": "u1\n", "gone.txt": "x\n" }, "second");
    r = await p.run("qa", "deploy");
    expect(r.code, r.stderr).toBe(0);

    expect(p.onHost("qa1", "cat current/schema.dump")).toMatch(/^\d+\n$/);
    r = await p.run("qa", "verify-release");
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain("qa1: matches its build digest");

    p.onHost("qa1", "echo hotpatch >> current/lib/util.txt && rm current/gone.txt && echo new > current/added.txt");
    r = await p.run("qa", "verify-release");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("qa1: 3 file(s) differ from the build");
    expect(r.stdout).toMatch(/changed lib\/util\.txt/);
    expect(r.stdout).toMatch(/removed gone\.txt/);
    expect(r.stdout).toMatch(/added\s+added\.txt/);

    r = await p.run("qa", "deploy");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("deploy refused by a gate");
    expect(r.stderr).toMatch(/hand-edits: files in the current release were edited on the host .*qa1: changed lib\/util\.txt, removed gone\.txt/);
    expect(r.stderr).toContain("slipway qa verify-release");

    r = await p.run("qa", "deploy", "--plan");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/FAIL\s+hand-edits/);

    r = await p.run("qa", "rollback");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("rollback refused by a gate");
    expect(r.stderr).toContain("rollback --force");
    expect(p.onHost("qa1", "cat current/app.txt")).toBe("v2\n");

    r = await p.run("qa", "rollback", "--force");
    expect(r.code, r.stderr).toBe(0);
    expect(p.onHost("qa1", "cat current/app.txt")).toBe("v1\n");
    r = await p.run("qa", "verify-release");
    expect(r.code, r.stdout).toBe(0);

    // Edited again, then deployed over on purpose: the override is recorded.
    p.onHost("qa1", "echo again >> current/app.txt");
    r = await p.run("qa", "deploy", "--override", "hand-edits", "-m", "patch is in main now");
    expect(r.code, r.stderr).toBe(0);
    const last = JSON.parse(p.onHost("qa1", "tail -n 1 .slipway/history.ndjson"));
    expect(last.gates).toEqual([
      expect.objectContaining({ gate: "hand-edits", ok: false, overridden: { by: expect.stringContaining("tester"), reason: "patch is in main now" } }),
    ]);
    r = await p.run("qa", "verify-release");
    expect(r.code, r.stdout).toBe(0);
  }, 240_000);
});
