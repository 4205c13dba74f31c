/**
 * Gates ci, metric, approvals, requires and promoted_from through the built CLI on the sshd fleet:
 * a test HTTP server plays the CI and the traffic metric, two state directories with two
 * SLIPWAY_USER values play two people, and two environments (qa on qa1, production on prod1) the
 * promotion chain.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fleet, SKIP_FLEET } from "../fleet.js";
import { cliSpawn, Repo, tmpdir, type CliResult } from "../helpers.js";

/** The hand-edits gate runs on every deploy that has a release to compare (test/e2e/promote.test.ts covers it). */
const others = (gs: { gate: string; ok: boolean }[]) => gs.filter((g) => g.gate !== "hand-edits");

const TOKEN = "ci-t0ken-'$(secret)\"";
let fleet: Fleet;
let server: http.Server;
let base = "";
/** What the fake CI answers per commit, and the metric values served in order (the last repeats). */
const ci: Record<string, string> = {};
let metric: number[] = [100];
let metricHits = 0;
const seenAuth: string[] = [];

beforeAll(async () => {
  if (SKIP_FLEET) return;
  fleet = await Fleet.start(["qa1", "prod1"]);
  server = http.createServer((req, res) => {
    const url = req.url ?? "";
    let m: RegExpExecArray | null;
    if ((m = /^\/ci\/([0-9a-f]{40})$/.exec(url))) {
      seenAuth.push(String(req.headers.authorization));
      if (req.headers.authorization !== `Bearer ${TOKEN}`) {
        res.writeHead(401).end("{}");
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ state: ci[m[1]!] ?? "pending" }));
    } else if (url === "/rpm") {
      const v = metric[Math.min(metricHits++, metric.length - 1)];
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ data: [{ rpm: v }] }));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);
afterAll(() => {
  server?.close();
  fleet?.stop();
});

let seq = 0;
function project(prodGates: string) {
  const app = `gt${++seq}`;
  const repo = new Repo(path.join(fleet.gitBase, app));
  const dir = tmpdir();
  writeFileSync(
    path.join(dir, "slipway.yml"),
    `app: ${app}
source: { git: "${fleet.gitUrl(app)}", ref: main }
environments:
  qa:
    hosts: [{ name: qa1, address: qa1, roles: [web] }]
  production:
    secret_env: [CI_TOKEN]
    hosts: [{ name: prod1, address: prod1, roles: [web] }]
    gates:
${prodGates
  .trim()
  .split("\n")
  .map((l) => `      ${l}`)
  .join("\n")}
`,
  );
  const as = (user: string) => ({ ...fleet.env, CI_TOKEN: TOKEN, SLIPWAY_USER: user, SLIPWAY_STATE_DIR: path.join(dir, `state-${user}`) });
  const outputs: string[] = [];
  const run = async (user: string, args: string[], extra: Record<string, string> = {}): Promise<CliResult> => {
    const r = await cliSpawn(args, { cwd: dir, env: { ...as(user), ...extra } }).done;
    outputs.push(r.stdout, r.stderr);
    return r;
  };
  const commit = (v: string) => {
    writeFileSync(path.join(repo.dir, "VERSION"), v);
    repo.git("add", "-A");
    repo.git("commit", "-q", "-m", `version ${v}`);
    return repo.git("rev-parse", "HEAD").trim();
  };
  const current = (h: string) => fleet.asUser(h, `readlink apps/${app}/current || true`).trim();
  const history = (h: string) =>
    fleet
      .asUser(h, `cat apps/${app}/.slipway/history.ndjson`)
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
  return { app, dir, run, commit, current, history, outputs };
}

const all = (r: CliResult) => r.stdout + r.stderr;

describe.skipIf(SKIP_FLEET)("gates", () => {
  it("ci over HTTP with a token, metric under/over at start and at the switch, --plan lists them, --override is recorded", async () => {
    const p = project(`ci: { url: "${base}/ci/{commit}", json_path: state, success: success, token_secret: CI_TOKEN }
metric:
  - { name: rpm, url: "${base}/rpm", json_path: data.0.rpm, below: 15000 }`);
    const c1 = p.commit("1");

    // CI pending: refused, naming the rule, the evidence and the way forward; nothing built.
    metric = [100];
    let r = await p.run("alice", ["production", "deploy"]);
    expect(r.code, all(r)).toBe(1);
    expect(r.stderr).toContain("deploy refused by a gate:");
    expect(r.stderr).toContain(`ci: ${c1.slice(0, 12)}: CI is "pending", not "success" (${base}/ci/${c1} state)`);
    expect(r.stderr).toContain("→ wait for CI to pass on this commit");
    expect(r.stderr).toContain('--override ci -m "why"');
    expect(p.current("prod1")).toBe("");
    expect(seenAuth.at(-1)).toBe(`Bearer ${TOKEN}`);

    // --plan shows every gate without deploying (and without refusing).
    metric = [20000];
    metricHits = 0;
    r = await p.run("alice", ["production", "deploy", "--plan"]);
    expect(r.code, all(r)).toBe(0);
    expect(r.stdout).toMatch(/FAIL\s+ci: .*"pending"/);
    expect(r.stdout).toMatch(/FAIL\s+metric:rpm: rpm = 20000, must be < 15000/);
    expect(r.stdout).toContain("checked again right before the switch");

    // CI green, traffic over the limit: refused by the metric alone.
    ci[c1] = "success";
    r = await p.run("alice", ["production", "deploy"]);
    expect(r.code, all(r)).toBe(1);
    expect(r.stderr).toContain("deploy refused by a gate:");
    expect(r.stderr).toContain("metric:rpm: rpm = 20000, must be < 15000");
    expect(r.stderr).not.toMatch(/^\s+ci:/m);

    // Under at the start, over right before the switch: stopped before any host switched.
    metric = [100, 20000];
    metricHits = 0;
    r = await p.run("alice", ["production", "deploy"]);
    expect(r.code, all(r)).toBe(1);
    expect(metricHits).toBe(2);
    expect(r.stderr).toContain("metric:rpm: rpm = 20000, must be < 15000");
    expect(p.current("prod1")).toBe("");

    // Under both times: deployed, both results kept in the manifest and the history.
    metric = [100];
    metricHits = 0;
    r = await p.run("alice", ["production", "deploy"]);
    expect(r.code, all(r)).toBe(0);
    expect(metricHits).toBe(2);
    const rel = p.current("prod1");
    expect(rel).toMatch(/^releases\//);
    const manifest = JSON.parse(fleet.asUser("prod1", `cat apps/${p.app}/${rel}/.slipway/manifest.json`));
    expect(others(manifest.gates).map((g: { gate: string; ok: boolean }) => `${g.gate}:${g.ok}`)).toEqual(["ci:true", "metric:rpm:true"]);

    // A failing CI passed with --override: who and why in the history.
    const c2 = p.commit("2");
    r = await p.run("alice", ["production", "deploy", "--override", "ci", "-m", "CI is down, hotfix approved by phone"]);
    expect(r.code, all(r)).toBe(0);
    const last = p.history("prod1").at(-1);
    expect(last.toCommit).toBe(c2);
    const g = last.gates.find((x: { gate: string }) => x.gate === "ci");
    expect(g).toMatchObject({ ok: false, overridden: { by: expect.stringMatching(/^alice@/), reason: "CI is down, hotfix approved by phone" } });
    r = await p.run("alice", ["production", "history", "--json"]);
    expect(r.code, all(r)).toBe(0);
    expect(r.stdout).toContain("CI is down, hotfix approved by phone");

    // The token went in the header only: never in any output or log of this control machine.
    expect(p.outputs.join("\n")).not.toContain("t0ken");
    // (grep -l prints the files that contain it; none must.)
    expect(execFileSync("bash", ["-c", `grep -rlF t0ken ${p.dir} || true`], { encoding: "utf8" })).toBe("");
  }, 240_000);

  it("ci as a command: exit 0 passes, non-zero refuses; an unknown --override is a usage error", async () => {
    const p = project(`ci: { command: 'grep -qx "$SLIPWAY_COMMIT" green.txt' }`);
    const c1 = p.commit("1");
    writeFileSync(path.join(p.dir, "green.txt"), "0000000000000000000000000000000000000000\n");
    let r = await p.run("alice", ["production", "deploy"]);
    expect(r.code, all(r)).toBe(1);
    expect(r.stderr).toContain(`ci: ${c1.slice(0, 12)}: CI command exited 1`);
    r = await p.run("alice", ["production", "deploy", "--override", "cii", "-m", "typo"]);
    expect(r.code, all(r)).toBe(2);
    expect(r.stderr).toContain("no gate named cii");
    writeFileSync(path.join(p.dir, "green.txt"), `${c1}\n`);
    r = await p.run("alice", ["production", "deploy"]);
    expect(r.code, all(r)).toBe(0);
  }, 120_000);

  it("approvals from two control machines; the deployer's own does not count; outsiders cannot approve", async () => {
    const p = project(`approvals: { required: 2, from: [alice, bob, carol], no_self_approval: true }`);
    const c1 = p.commit("1");

    let r = await p.run("alice", ["production", "approve", "main", "-m", "reviewed"]);
    expect(r.code, all(r)).toBe(0);
    expect(r.stdout).toContain(`alice approved ${c1.slice(0, 12)} (main) for production: "reviewed"`);
    r = await p.run("dave", ["production", "approve", "main", "-m", "me too"]);
    expect(r.code, all(r)).toBe(2);
    expect(r.stderr).toContain("dave is not in environments.production.gates.approvals.from");
    r = await p.run("bob", ["production", "approve", c1, "-m", "looks fine"]);
    expect(r.code, all(r)).toBe(0);

    // alice deploys: her own approval does not count, bob's does: 1 of 2.
    r = await p.run("alice", ["production", "deploy"]);
    expect(r.code, all(r)).toBe(1);
    expect(r.stderr).toContain(`approvals: 1 of 2 approvals of ${c1.slice(0, 12)} (bob); not counted: alice: the deployer's own approval (no_self_approval)`);
    expect(r.stderr).toContain(`→ 1 more from carol: slipway production approve ${c1.slice(0, 12)} -m "why"`);
    expect(p.current("prod1")).toBe("");

    // bob's control machine sees alice's approval (stored on the primary, not locally).
    r = await p.run("bob", ["production", "approvals", "main"]);
    expect(r.code, all(r)).toBe(0);
    expect(r.stdout).toMatch(/alice\s+main {2}"reviewed"/);
    expect(r.stdout).toMatch(/bob\s+\S+ {2}"looks fine"/);

    // carol approves: alice's deploy now has bob and carol.
    r = await p.run("carol", ["production", "approve", "main", "-m", "ok for tonight"]);
    expect(r.code, all(r)).toBe(0);
    r = await p.run("alice", ["production", "deploy"]);
    expect(r.code, all(r)).toBe(0);
    const last = p.history("prod1").at(-1);
    expect(others(last.gates)).toEqual([
      {
        gate: "approvals",
        ok: true,
        line: `2 of 2 approvals of ${c1.slice(0, 12)} (bob, carol); not counted: alice: the deployer's own approval (no_self_approval)`,
      },
    ]);

    // A new commit needs its own approvals: those of c1 do not carry over.
    const c2 = p.commit("2");
    r = await p.run("bob", ["production", "deploy", "--plan"]);
    expect(r.code, all(r)).toBe(0);
    expect(r.stdout).toContain(`FAIL       approvals: 0 of 2 approvals of ${c2.slice(0, 12)}`);
  }, 180_000);

  it("requires and promoted_from: production takes only what qa runs, after it stayed there healthy for min_age", async () => {
    const p = project(`requires: [{ env: qa }]
promoted_from: { env: qa, min_age: 2h }`);
    const c1 = p.commit("1");
    const inHours = (h: number) => ({ SLIPWAY_NOW: new Date(Date.now() + h * 3_600_000).toISOString() });

    // Not on qa yet.
    let r = await p.run("alice", ["production", "deploy"]);
    expect(r.code, all(r)).toBe(1);
    expect(r.stderr).toContain("deploy refused by 2 gates:");
    expect(r.stderr).toContain(`requires:qa: qa must run the commit being deployed (${c1.slice(0, 12)}) but its primary qa1 runs nothing`);
    expect(r.stderr).toContain(`promoted_from: ${c1.slice(0, 12)} is not what qa runs (qa1 runs nothing)`);

    r = await p.run("alice", ["qa", "deploy"]);
    expect(r.code, all(r)).toBe(0);

    // On qa, but for less than 2h.
    r = await p.run("alice", ["production", "deploy"], inHours(1));
    expect(r.code, all(r)).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`promoted_from: ${c1.slice(0, 12)} has run on qa for (59|60)m since \\S+, less than 2h00m`));
    expect(r.stderr).toContain("→ wait until ");
    expect(r.stderr).toMatch(/gate pass\s+requires:qa: qa runs /);
    expect(r.stderr).not.toMatch(/^\s+requires:qa:/m);

    r = await p.run("alice", ["production", "deploy"], inHours(3));
    expect(r.code, all(r)).toBe(0);
    const gates = others(p.history("prod1").at(-1).gates);
    expect(gates.map((g: { gate: string; ok: boolean }) => `${g.gate}:${g.ok}`)).toEqual(["requires:qa:true", "promoted_from:true"]);

    // main moves on: production refuses the new head until qa runs it.
    const c2 = p.commit("2");
    r = await p.run("alice", ["production", "deploy"], inHours(6));
    expect(r.code, all(r)).toBe(1);
    expect(r.stderr).toContain(`qa must run the commit being deployed (${c2.slice(0, 12)}) but its primary qa1 runs ${c1.slice(0, 12)}`);

    // qa moves to c2 and back to c1: c1 has been current there only since the rollback.
    r = await p.run("alice", ["qa", "deploy", "--ref", c2]);
    expect(r.code, all(r)).toBe(0);
    r = await p.run("alice", ["qa", "rollback"]);
    expect(r.code, all(r)).toBe(0);
    r = await p.run("alice", ["production", "deploy", "--ref", c1], inHours(1.5));
    expect(r.code, all(r)).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`promoted_from: ${c1.slice(0, 12)} has run on qa for (89|90)m since`));
    r = await p.run("alice", ["production", "deploy", "--ref", c1, "--override", "promoted_from", "-m", "qa soak cut short"], inHours(1.5));
    expect(r.code, all(r)).toBe(0);
    expect(
      p
        .history("prod1")
        .at(-1)
        .gates.find((g: { gate: string }) => g.gate === "promoted_from").overridden.reason,
    ).toBe("qa soak cut short");
  }, 240_000);
});
