/** `status` and the verify-window watchers: the primary's line, hosts that say something else, old watchers hidden, a failed revert fails status. */
import { describe, expect, it } from "vitest";
import type { HostState } from "../../src/plan/state.js";
import { formatStatus, planStatus, type StatusInput } from "../../src/plan/status.js";
import type { HostWatch, WatchState } from "../../src/plan/verify-input.js";

const R1 = "20261201-100000-1111111";
const R2 = "20261202-100000-2222222";
const state = (host: string, current: string): HostState => ({
  host,
  initialized: true,
  current,
  releases: [],
  lock: null,
  deploying: null,
  pushRecord: null,
  journal: {},
  problems: [],
});
const input = (watches: HostWatch[], current = R2): StatusInput => ({
  app: "shop",
  env: "prod",
  component: null,
  primary: "web1",
  hosts: [
    { name: "web1", roles: ["web"] },
    { name: "web2", roles: ["web"] },
  ],
  states: { web1: state("web1", current), web2: state("web2", current) },
  unreachable: [],
  probes: {},
  services: [],
  lock: null,
  pending: { state: "up-to-date", ref: "main", from: null, to: null, commits: [], count: 0, files: [] } as unknown as StatusInput["pending"],
  subject: null,
  watches,
});
const ws = (over: Partial<WatchState>): WatchState => ({
  status: "watching",
  release: R2,
  previous: R1,
  started: "2026-12-02T10:00:05Z",
  until: "2026-12-02T10:05:05Z",
  rounds: 3,
  updated: "2026-12-02T10:00:35Z",
  ...over,
});
const w = (host: string, st: Partial<WatchState>, alive = true): HostWatch => ({ host, release: st.release ?? R2, alive, state: ws(st) });

describe("status with verify-window watchers", () => {
  it("one line when every host agrees; the hosts that differ are named", () => {
    const r = planStatus(input([w("web1", {}), w("web2", {})]));
    expect(r.verifyWindow).toEqual([`watching ${R2} until 10:05:05 UTC (3 round(s) ok)`]);
    expect(formatStatus(r)).toMatch(new RegExp(`\\nverify    watching ${R2} until 10:05:05 UTC \\(3 round\\(s\\) ok\\)\\n`));
    const split = planStatus(input([w("web1", { status: "reverted", evidence: "check error-rate: 0.2 > 0.01 (on web1, round 4)" }), w("web2", {}, false)], R1));
    expect(split.verifyWindow).toEqual([
      `reverted automatically at 10:00:35 UTC from ${R2} to ${R1} (check error-rate: 0.2 > 0.01 (on web1, round 4))`,
      `web2: the watcher of ${R2} died after 3 round(s) (last seen 10:00:35 UTC); nothing was reverted`,
    ]);
    expect(split.ok).toBe(true);
  });

  it("a watcher older than the current release is not shown; a failed revert fails status", () => {
    expect(planStatus(input([w("web1", { status: "passed", release: R1, previous: null })])).verifyWindow).toEqual([]);
    const failed = planStatus(input([w("web1", { status: "revert-failed", evidence: "check x: exit 1" })]));
    expect(failed.ok).toBe(false);
    expect(failed.failures).toContain("the automatic revert failed on web1");
    expect(planStatus(input([{ host: "web1", release: R2, alive: false, state: null, problem: "watch state.status: bad" }])).verifyWindow).toEqual([
      `watcher of ${R2}: unreadable state (watch state.status: bad)`,
    ]);
  });
});
