/** planAfterReboot is pure: per host the reboot hooks for its roles, then service starts; then the report. */
import { describe, expect, it } from "vitest";
import { planAfterReboot } from "../../../src/plan/after-reboot.js";
import { formatOpsPlan } from "../../../src/plan/format-ops.js";
import { env, shown } from "./ops-fixture.js";

describe("planAfterReboot", () => {
  const plan = planAfterReboot(env, env.hosts);

  it("hooks by role, then every service in start order, in one round trip per host; then a report on every host", () => {
    expect(plan).toMatchObject({ verb: "after-reboot", env: "prod", hosts: ["web1", "worker1", "db1"], lock: null });
    const [run, report] = plan.stages;
    if (run?.kind !== "hosts") throw new Error("expected a hosts stage");
    expect(run.hosts).toEqual(["web1", "worker1", "db1"]);
    expect(shown(run.scripts.web1)).toEqual([
      "reboot hooks: echo unlocked",
      "start services: start app",
      "start services: wait for app to be healthy (GET http://127.0.0.1:8001/health)",
      "start services: start queue",
      "start services: wait for queue to be healthy",
    ]);
    expect(shown(run.scripts.worker1)).toEqual([
      "reboot hooks: echo unlocked",
      "reboot hooks: mount /data",
      "start services: start queue",
      "start services: wait for queue to be healthy",
    ]);
    expect(shown(run.scripts.db1)).toEqual(["reboot hooks: echo unlocked"]);
    expect(report).toEqual({ kind: "report", hosts: ["web1", "worker1", "db1"] });
  });

  it("a host with neither hooks nor services gets no script, only the report", () => {
    const bare = planAfterReboot(
      { ...env, afterReboot: [] },
      env.hosts.filter((h) => h.name === "db1"),
    );
    expect(bare.stages).toEqual([{ kind: "report", hosts: ["db1"] }]);
  });

  it("formats the hooks, the starts and the report", () => {
    const text = formatOpsPlan(plan);
    expect(text).toMatch(/^plan: after-reboot prod\n/);
    expect(text).toContain("after-reboot on web1, worker1, db1 (one round trip per host):");
    expect(text).toContain("report    on web1, worker1, db1: probe every service");
  });
});
