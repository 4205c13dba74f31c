/** planServiceAction is pure: per host, the commands of one action in start order (stop reversed), as data. */
import { describe, expect, it } from "vitest";
import { formatOpsPlan } from "../../../src/plan/format-ops.js";
import { pickServices, planServiceAction, type ServicePlan } from "../../../src/plan/services.js";
import { env, shown } from "./ops-fixture.js";

describe("planServiceAction", () => {
  it("starts in order, waiting for health, one round trip per host that runs a service", () => {
    const plan = planServiceAction(env, env.hosts, env.services, "start") as ServicePlan;
    expect(plan).toMatchObject({
      verb: "service",
      action: "start",
      env: "prod",
      hosts: ["web1", "worker1"],
      lock: null,
      services: { web1: ["app", "queue"], worker1: ["queue"] },
    });
    expect(plan.stages).toHaveLength(1);
    const st = plan.stages[0]!;
    if (st.kind !== "hosts") throw new Error("expected a hosts stage");
    expect(st.hosts).toEqual(["web1", "worker1"]);
    expect(shown(st.scripts.web1)).toEqual([
      "service start: start app",
      "service start: wait for app to be healthy (GET http://127.0.0.1:8001/health)",
      "service start: start queue",
      "service start: wait for queue to be healthy",
    ]);
    expect(st.scripts.web1!.sections[0]!.cwd).toBe("/srv/shop");
    expect(st.scripts.web1!.env).toMatchObject({ SLIPWAY_HOST: "web1", SLIPWAY_ENV: "prod", PORT: "8001" });
    expect(st.done).toEqual(["web1: start app, queue", "worker1: start queue"]);
  });

  it("stops in reverse order, without health waits", () => {
    const plan = planServiceAction(env, env.hosts, env.services, "stop") as ServicePlan;
    const st = plan.stages[0]!;
    expect(st.kind === "hosts" && shown(st.scripts.web1)).toEqual(["service stop: stop queue", "service stop: stop app"]);
  });

  it("one service by name; refuses when no targeted host runs it", () => {
    const app = pickServices(env, "app");
    expect((planServiceAction(env, env.hosts, app, "restart") as ServicePlan).hosts).toEqual(["web1"]);
    expect(
      planServiceAction(
        env,
        env.hosts.filter((h) => h.name !== "web1"),
        app,
        "restart",
      ),
    ).toEqual({ refuse: "no targeted host runs these services" });
    expect(() => pickServices(env, "nope")).toThrow(/unknown service "nope"; configured: app, queue/);
  });

  it("formats each host's commands under the stage", () => {
    const text = formatOpsPlan(planServiceAction(env, env.hosts, env.services, "restart") as ServicePlan);
    expect(text).toMatch(/^plan: service restart prod\n/);
    expect(text).toContain("service restart on web1, worker1 (one round trip per host):\n  web1 (1 host):\n");
    expect(text).not.toContain("lock ");
  });
});
