/** planRollback is pure: the target, the scripts per host and the recovery, as data. */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/load.js";
import { resolveEnvironment } from "../../../src/config/resolve.js";
import { formatRollbackPlan } from "../../../src/plan/format.js";
import { planRollback, type RollbackPlan } from "../../../src/plan/rollback.js";
import type { HostState, ReleaseInfo } from "../../../src/plan/state.js";

const env = resolveEnvironment(
  parseConfig(
    `app: web
source: { git: https://example.com/r.git, ref: main }
deploy_to: /srv/web
restart: [sudo systemctl restart web]
hooks:
  after:
    switch: [echo switched]
environments:
  prod:
    hosts:
      - { name: web1, address: w1, roles: [web], primary: true }
      - { name: web2, address: w2, roles: [web] }
`,
    "/cfg/slipway.yml",
  ),
  "prod",
);
const A = "20261120-100000-aaaaaaa";
const B = "20261121-100000-bbbbbbb";
const C = "20261122-100000-ccccccc";
const rel = (id: string, status: ReleaseInfo["status"]): ReleaseInfo => ({ id, status, manifest: null });
const host = (name: string, current: string, releases: ReleaseInfo[]): HostState => ({
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
const states = { web1: host("web1", C, [rel(A, "ok"), rel(B, "bad"), rel(C, "ok")]), web2: host("web2", C, [rel(A, "ok"), rel(B, "bad"), rel(C, "ok")]) };

describe("planRollback", () => {
  const plan = planRollback({ env, hosts: env.hosts, states }) as RollbackPlan;

  it("goes to the newest good release, skipping bad ones, and marks the one it leaves bad", () => {
    expect(plan).toMatchObject({ verb: "rollback", target: A, from: C, hosts: ["web1", "web2"], primary: "web1", previous: { web1: C, web2: C } });
    const sw = plan.stages[0]!;
    expect(sw.phases).toEqual(["switch"]);
    expect(sw.scripts.web2!.sections.flatMap((s) => s.commands.map((c) => c.display))).toEqual([
      `switch current → releases/${A}`,
      `mark ${C} bad`,
      "echo switched",
    ]);
  });

  it("restarts after the switch and knows how to put every host back", () => {
    expect(plan.stages.map((s) => `${s.phases.join("+")}@${s.hosts.join(",")}`)).toEqual(["switch@web1,web2", "restart+verify@web1,web2"]);
    expect(plan.recovery.web1!.ifSwitched[0]!.commands.map((c) => c.display)).toEqual([`switch current → releases/${C}`, `mark ${C} ok`]);
    expect(plan.recovery.web1!.ifSwitched[0]!.timeoutMs).toBe(4000);
  });

  it("refuses with a reason rather than planning", () => {
    expect(planRollback({ env, hosts: env.hosts, states, requested: C })).toEqual({ refuse: `${C} is already current` });
    expect(planRollback({ env, hosts: env.hosts, states, requested: "20200101-000000-0000000" })).toEqual({
      refuse: "release 20200101-000000-0000000 does not exist on web1",
    });
  });

  it("formats as text naming the target, each host's commands and the recovery", () => {
    const text = formatRollbackPlan(plan);
    expect(text).toMatch(new RegExp(`^plan: rollback prod to ${A}`));
    expect(text).toContain(`from   ${C}, marked bad`);
    expect(text).toContain("restart+verify on web1, web2 (one round trip per host):");
    expect(text).toContain("if a step fails, switched hosts go back:");
  });
});
