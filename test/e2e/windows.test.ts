/**
 * Deploy windows and freezes through the built CLI on a real sshd host, with the clock fixed by
 * SLIPWAY_NOW: inside office hours a deploy runs, outside it is refused with the next allowed time,
 * a dated freeze wins, the downtime rule binds only a deploy with --downtime, `--override windows`
 * is recorded in the history, and `deploy --plan` shows the gate's result.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fleet, SKIP_FLEET } from "../fleet.js";
import { cliSpawn, Repo, tmpdir, type CliResult } from "../helpers.js";

/** The hand-edits gate runs on every deploy that has a release to compare (test/e2e/promote.test.ts covers it). */
const others = (gs: unknown[] | undefined) => (gs ?? []).filter((g) => (g as { gate?: string }).gate !== "hand-edits") as { gate: string; ok: boolean }[];

let fleet: Fleet;
beforeAll(async () => {
  if (!SKIP_FLEET) fleet = await Fleet.start(["win1"]);
}, 60_000);
afterAll(() => fleet?.stop());

// Times in Europe/Berlin (CET, UTC+1 in December).
const TUE_10 = "2026-12-01T09:00:00Z"; // Tuesday 10:00: office hours, live teaching
const TUE_1530 = "2026-12-01T14:30:00Z"; // Tuesday 15:30: office hours, teaching over
const SAT_11 = "2026-12-05T10:00:00Z"; // Saturday: outside office hours
const FROZEN = "2026-12-22T09:00:00Z"; // Tuesday 10:00 inside the christmas freeze

describe.skipIf(SKIP_FLEET)("deploy windows", () => {
  let dir: string;
  let repo: Repo;
  const run = (now: string, ...args: string[]): Promise<CliResult> =>
    cliSpawn(args, { cwd: dir, env: { ...fleet.env, SLIPWAY_NOW: now, FORCE_COLOR: "0" } }).done;
  const current = () => fleet.asUser("win1", "readlink apps/win/current").trim();
  const commit = (v: string) => {
    writeFileSync(path.join(repo.dir, "VERSION"), v);
    repo.git("add", "-A");
    repo.git("commit", "-qm", `version ${v}`);
    return repo.git("rev-parse", "HEAD").trim();
  };
  const history = async () => JSON.parse((await run(TUE_10, "prod", "history", "--json")).stdout) as { toCommit: string; gates?: Record<string, unknown>[] }[];

  beforeAll(() => {
    repo = new Repo(path.join(fleet.gitBase, "win"));
    dir = tmpdir();
    writeFileSync(
      path.join(dir, "slipway.yml"),
      `app: win
source: { git: "${fleet.gitUrl("win")}", ref: main }
environments:
  prod:
    hosts:
      - { name: win1, address: win1, roles: [web] }
    windows:
      timezone: Europe/Berlin
      allow:
        - { cron: "0 9 * * 1-5", duration: 8h, name: office hours }
      deny:
        - { from: "2026-12-21", until: "2027-01-03", name: christmas freeze, reason: staff away }
      downtime:
        deny:
          - { cron: "0 9 * * 1-5", duration: 6h, name: live teaching, reason: classes are online }
`,
    );
  });

  it("inside office hours: deploys, the pass is in the history", async () => {
    const c = commit("1");
    const r = await run(TUE_10, "prod", "deploy");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr + r.stdout).toContain(
      'gate pass       windows: 2026-12-01 10:00 Europe/Berlin (UTC+01:00) = 2026-12-01 09:00 UTC: a deploy is allowed, inside allow "office hours"',
    );
    const [last] = await history();
    expect(last!.toCommit).toBe(c);
    expect(others(last!.gates)).toEqual([expect.objectContaining({ gate: "windows", ok: true })]);
  }, 90_000);

  it("outside: --plan shows the failing gate; deploy is refused with the rule and the next allowed time; nothing changes", async () => {
    const before = current();
    commit("2");
    const plan = await run(SAT_11, "prod", "deploy", "--plan");
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(
      /gates:\n\s+FAIL\s+windows: 2026-12-05 11:00 Europe\/Berlin \(UTC\+01:00\) = 2026-12-05 10:00 UTC: a deploy is refused, outside every allow window/,
    );
    expect(plan.stdout).toContain("next allowed 2026-12-07 09:00 Europe/Berlin (UTC+01:00) = 2026-12-07 08:00 UTC");

    const r = await run(SAT_11, "prod", "deploy");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("deploy refused by a gate:");
    expect(r.stderr).toContain('outside every allow window ("office hours" (cron 0 9 * * 1-5 for 8h, Europe/Berlin))');
    expect(r.stderr).toContain("next allowed 2026-12-07 09:00 Europe/Berlin (UTC+01:00) = 2026-12-07 08:00 UTC");
    expect(r.stderr).toContain("wait until 2026-12-07T08:00:00.000Z");
    expect(r.stderr).toContain('--override windows -m "why"');
    expect(current()).toBe(before);
  }, 90_000);

  it("a freeze with explicit dates is refused even in office hours", async () => {
    const r = await run(FROZEN, "prod", "deploy");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      'inside deny "christmas freeze" (2026-12-21 → 2027-01-03, Europe/Berlin) until 2027-01-04 00:00 Europe/Berlin (UTC+01:00) = 2027-01-03 23:00 UTC: staff away',
    );
    expect(r.stderr).toContain("next allowed 2027-01-04 09:00 Europe/Berlin (UTC+01:00) = 2027-01-04 08:00 UTC");
  }, 90_000);

  it("the downtime rule binds only a deploy with --downtime", async () => {
    const down = await run(TUE_10, "prod", "deploy", "--downtime");
    expect(down.code).not.toBe(0);
    expect(down.stderr).toContain('a deploy with downtime is refused, inside downtime deny "live teaching"');
    expect(down.stderr).toContain("classes are online; next allowed 2026-12-01 15:00 Europe/Berlin (UTC+01:00) = 2026-12-01 14:00 UTC");
    const later = await run(TUE_1530, "prod", "deploy", "--downtime", "--plan");
    expect(later.stdout).toMatch(/pass\s+windows: .*a deploy with downtime is allowed, inside allow "office hours"/);
    const plain = await run(TUE_10, "prod", "deploy", "--plan");
    expect(plain.stdout).toMatch(/pass\s+windows: .*a deploy is allowed/);
  }, 90_000);

  it("--override windows -m why deploys on a Saturday and the history records who and why", async () => {
    const noReason = await run(SAT_11, "prod", "deploy", "--override", "windows");
    expect(noReason.code).not.toBe(0);
    expect(noReason.stderr).toContain("--override needs -m");

    const c = repo.git("rev-parse", "HEAD").trim();
    const r = await run(SAT_11, "prod", "deploy", "--override", "windows", "-m", "login is broken for everyone");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr + r.stdout).toMatch(/OVERRIDDEN windows: .*outside every allow window.* \(by \S+: login is broken for everyone\)/);
    const [last] = await history();
    expect(last!.toCommit).toBe(c);
    expect(others(last!.gates)).toEqual([
      expect.objectContaining({ gate: "windows", ok: false, overridden: { by: expect.any(String), reason: "login is broken for everyone" } }),
    ]);
  }, 90_000);
});
