/** planDowntime is pure: page, services and the straggler step in order, as data. */
import { describe, expect, it } from "vitest";
import { planDowntime, type DowntimePlan } from "../../../src/plan/downtime.js";
import { formatOpsPlan } from "../../../src/plan/format-ops.js";
import { env, shown } from "./ops-fixture.js";

const now = new Date("2026-01-02T03:04:05Z");
const start = planDowntime(env, env.hosts, "start", "Back at <b>2</b>", { by: "ops@ctl", now }) as DowntimePlan;

describe("planDowntime", () => {
  it("start: page up on the maintenance hosts, services stopped in reverse, then the straggler wait", () => {
    expect(start).toMatchObject({ verb: "downtime", action: "start", lock: "web1", pageHosts: ["web1"], hosts: ["web1", "worker1", "db1"] });
    expect(start.stages.map((s) => `${s.kind === "hosts" ? s.label : s.kind}@${s.hosts.join(",")}`)).toEqual([
      "maintenance page@web1",
      "service stop@web1,worker1",
      "stragglers@web1,worker1",
    ]);
    const page = start.stages[0]!;
    if (page.kind !== "hosts") throw new Error("expected the page stage");
    expect(shown(page.scripts.web1)).toEqual(["downtime: put up the maintenance page (/srv/shop/shared/maintenance/on)"]);
    // The flag records who and when; the page escapes the message.
    expect(page.scripts.web1!.sections[0]!.commands[0]!.sh).toContain('"since":"2026-01-02T03:04:05.000Z"');
    expect(page.scripts.web1!.sections[0]!.commands[0]!.sh).toContain("Back at &lt;b&gt;2&lt;/b&gt;");
    expect(page.done).toEqual(["maintenance page up on web1"]);
    const stop = start.stages[1]!;
    expect(stop.kind === "hosts" && shown(stop.scripts.web1)).toEqual(["service stop: stop queue", "service stop: stop app"]);
    expect(start.stages[2]).toEqual({ kind: "stragglers", hosts: ["web1", "worker1"], waitS: 7, retryS: 7, onLeft: "fail" });
  });

  it("stragglers: --kill-after terminates, a terminal is asked", () => {
    const kill = planDowntime(env, env.hosts, "start", "m", { killAfterS: 60 }) as DowntimePlan;
    expect(kill.stages.at(-1)).toMatchObject({ kind: "stragglers", waitS: 60, onLeft: "kill" });
    const ask = planDowntime(env, env.hosts, "start", "m", { interactive: true }) as DowntimePlan;
    expect(ask.stages.at(-1)).toMatchObject({ kind: "stragglers", waitS: 7, onLeft: "ask" });
  });

  it("end: services started in order with health waits, then the page comes down", () => {
    const end = planDowntime(env, env.hosts, "end", "") as DowntimePlan;
    expect(end.stages.map((s) => (s.kind === "hosts" ? s.label : s.kind))).toEqual(["service start", "maintenance page"]);
    const [svc, page] = end.stages;
    expect(svc!.kind === "hosts" && svc!.done).toEqual(["web1: start app, queue", "worker1: start queue"]);
    expect(page!.kind === "hosts" && shown(page!.scripts.web1)).toEqual(["downtime: take down the maintenance page"]);
    expect(page!.kind === "hosts" && page!.done).toEqual(["maintenance page down"]);
  });

  it("without services: only the page; a host without services or page gets a refusal for its services", () => {
    const bare = { ...env, services: [] };
    expect((planDowntime(bare, env.hosts, "start", "m") as DowntimePlan).stages.map((s) => s.kind)).toEqual(["hosts"]);
    expect(
      planDowntime(
        env,
        env.hosts.filter((h) => h.name === "db1"),
        "start",
        "m",
      ),
    ).toEqual({ refuse: "no targeted host runs these services" });
  });

  it("formats the lock, each stage and what happens to stragglers", () => {
    const text = formatOpsPlan(start);
    expect(text).toMatch(/^plan: downtime start prod\n/);
    expect(text).toContain("lock      on web1:");
    expect(text).toContain("stragglers on web1, worker1: wait up to 7s for the stopped services' processes to exit, then stop with their list");
  });
});
