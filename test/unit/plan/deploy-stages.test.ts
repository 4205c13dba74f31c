/** Rolling batches, the pre-step gate and recovery are plan data: read here without any host. */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/load.js";
import { resolveEnvironment } from "../../../src/config/resolve.js";
import { planDeploy } from "../../../src/plan/deploy.js";
import { formatPlan } from "../../../src/plan/format.js";
import { recoveryScript } from "../../../src/plan/recovery.js";
import { splitBatches } from "../../../src/plan/rolling.js";
import type { HostState } from "../../../src/plan/state.js";

const env = resolveEnvironment(
  parseConfig(
    `app: web
source: { git: https://example.com/r.git, ref: main }
deploy_to: /srv/web
restart: [./restart.sh]
presteps:
  reindex: { run: ./reindex.sh, role: web, required: true }
hooks:
  on_failure:
    - ./page.sh
    - run: ./page-local.sh
      local: true
environments:
  prod:
    hosts:
${[1, 2, 3, 4, 5].map((i) => `      - { name: web${i}, address: w${i}, roles: [web] }`).join("\n")}
`,
    "/cfg/slipway.yml",
  ),
  "prod",
);
const OLD = "20261120-100000-aaaaaaa";
const state = (host: string): HostState => ({
  host,
  initialized: true,
  current: OLD,
  releases: [{ id: OLD, status: "ok", manifest: null }],
  lock: null,
  deploying: null,
  journal: {},
  pushRecord: null,
  problems: [],
});
const states = Object.fromEntries(env.hosts.map((h) => [h.name, state(h.name)]));
const base = {
  env,
  hosts: env.hosts,
  states,
  commit: "0123456789abcdef0123456789abcdef01234567",
  ref: "main",
  now: new Date("2026-11-22T10:00:00Z"),
  by: "me",
  toolVersion: "0",
};
const shape = (p: ReturnType<typeof planDeploy>) =>
  p.stages.map((s) =>
    s.kind === "hosts"
      ? `${s.phases.join("+")}@${s.hosts.join(",")}${s.batch ? `#${s.batch.index}/${s.batch.of}` : ""}`
      : s.kind === "wait"
        ? `wait ${s.ms}`
        : s.kind,
  );

describe("deploy plan stages", () => {
  it("puts the required pre-step gate before the switch", () => {
    expect(shape(planDeploy(base))).toEqual([
      "fetch+link+build@web1,web2,web3,web4,web5",
      "gate",
      "switch+cleanup@web1,web2,web3,web4,web5",
      "restart+verify@web1,web2,web3,web4,web5",
    ]);
    expect(shape(planDeploy({ ...base, hotfix: true }))).not.toContain("gate");
  });

  it("rolls the switch and restart batch by batch, with waits between batches", () => {
    const plan = planDeploy({ ...base, batchSize: "40%", batchWaitMs: 5000 });
    expect(shape(plan).slice(2)).toEqual([
      "switch+cleanup@web1,web2#1/3",
      "restart+verify@web1,web2#1/3",
      "wait 5000",
      "switch+cleanup@web3,web4#2/3",
      "restart+verify@web3,web4#2/3",
      "wait 5000",
      "switch+cleanup@web5#3/3",
      "restart+verify@web5#3/3",
    ]);
    expect(formatPlan(plan)).toContain("switch+cleanup on web3, web4 (batch 2/3, one round trip per host):");
    expect(splitBatches([1, 2, 3], "2")).toEqual([[1, 2], [3]]);
  });

  it("plans each host's recovery: marked failed first, then switch back and the old release's restart", () => {
    const plan = planDeploy(base);
    const r = plan.recovery.web2!;
    const shown = (switched: boolean, restart: boolean) =>
      recoveryScript(r, switched, restart).sections.flatMap((s) => s.commands.map((c) => `${s.phase}: ${c.display}`));
    expect(shown(false, false)).toEqual([`cleanup: mark ${plan.releaseId} failed`]);
    expect(shown(true, true)).toEqual([`cleanup: mark ${plan.releaseId} failed`, `switch: switch current → releases/${OLD}`, "restart: ./restart.sh"]);
    expect(r.env.SLIPWAY_FAILED_RELEASE).toBe(plan.releaseId);
    expect(Object.keys(plan.onFailure.remote)).toEqual(["web1", "web2", "web3", "web4", "web5"]);
    expect(plan.onFailure.local!.sections[0]!.commands.map((c) => c.display)).toEqual(["./page-local.sh"]);
  });
});
