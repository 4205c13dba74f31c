/** planCleanup is pure: what each host loses under `cleanup` and `clean-releases`, and the scripts, as data. */
import { describe, expect, it } from "vitest";
import { planCleanup } from "../../../src/plan/cleanup.js";
import type { HostState, ReleaseInfo } from "../../../src/plan/state.js";
import { env } from "./ops-fixture.js";

const [A, B, C, D, E] = ["20261120-100000-aaaaaaa", "20261121-100000-bbbbbbb", "20261122-100000-ccccccc", "20261123-100000-ddddddd", "20261124-100000-eeeeeee"];
const rel = (id: string, status: ReleaseInfo["status"], expiresAt?: string): ReleaseInfo => ({
  id,
  status,
  manifest: expiresAt ? ({ expiresAt } as ReleaseInfo["manifest"]) : null,
});
const host = (name: string, current: string | null, releases: ReleaseInfo[]): HostState => ({
  host: name,
  initialized: true,
  current,
  releases,
  lock: null,
  deploying: null,
  journal: {},
  pushRecord: null,
  problems: [],
});
const now = new Date("2026-12-01T00:00:00Z");
const states = {
  web1: host("web1", E, [rel(A, "ok"), rel(B, "failed"), rel(C, "ok"), rel(D, "private", "2026-01-01T00:00:00Z"), rel(E, "ok")]),
  worker1: host("worker1", E, [rel(C, "ok"), rel(E, "ok")]),
  db1: host("db1", E, [rel(B, "failed"), rel(E, "ok")]),
};

describe("planCleanup", () => {
  it("cleanup keeps keep_releases good ones, current and the rollback target; one script per host with work", () => {
    const plan = planCleanup(env, env.hosts, states, "cleanup", now);
    expect(plan).toMatchObject({
      verb: "cleanup",
      env: "prod",
      hosts: ["web1", "worker1", "db1"],
      lock: "web1",
      removals: { web1: [A, B, D], worker1: [], db1: [B] },
    });
    expect(plan.stages).toHaveLength(1);
    const st = plan.stages[0]!;
    if (st.kind !== "hosts") throw new Error("expected a hosts stage");
    expect(st.hosts).toEqual(["web1", "db1"]);
    expect(st.scripts.web1!.sections).toEqual([{ phase: "cleanup", commands: [expect.objectContaining({ display: `remove releases ${A}, ${B}, ${D}` })] }]);
  });

  it("clean-releases removes only failed and expired private releases", () => {
    expect(planCleanup(env, env.hosts, states, "clean-releases", now).removals).toEqual({ web1: [B, D], worker1: [], db1: [B] });
  });

  it("unused dependency sets are pruned after the removal; nothing to remove means no stage", () => {
    const deps = { ...env, dependencies: [{ path: "node_modules", lockfile: "package-lock.json", install: "npm ci" }] } as typeof env;
    const st = planCleanup(deps, env.hosts, states, "cleanup", now).stages[0]!;
    expect(st.kind === "hosts" && st.scripts.db1!.sections[0]!.commands.map((c) => c.display)).toEqual([
      `remove releases ${B}`,
      "remove dependency sets in /srv/shop/deps that no release uses",
    ]);
    expect(
      planCleanup(
        env,
        env.hosts.filter((h) => h.name === "worker1"),
        states,
        "cleanup",
        now,
      ).stages,
    ).toEqual([]);
  });
});
