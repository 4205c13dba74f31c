/** Planning is pure: phases, hooks, roles, cleanup and rollback choices without any host. */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/load.js";
import { resolveEnvironment } from "../../../src/config/resolve.js";
import { planDeploy, nextReleaseId } from "../../../src/plan/deploy.js";
import { releasesToRemove } from "../../../src/plan/cleanup.js";
import { formatPlan } from "../../../src/plan/format.js";
import type { HostState, ReleaseInfo } from "../../../src/plan/state.js";
import { chooseRollback } from "../../../src/apply/rollback.js";

const text = `app: web
source: { git: https://example.com/r.git, ref: main }
deploy_to: /srv/web
shared: { dirs: [log], files: [.env] }
build:
  - npm ci
  - run: venv/bin/pip install -r requirements.txt
    roles: [worker]
migrate: [./manage.py migrate]
restart: [sudo systemctl restart web]
hooks:
  before:
    build: [echo before-build]
    switch:
      - run: ./notify.sh starting
        local: true
  after:
    switch: [echo switched]
environments:
  prod:
    hosts:
      - { name: web1, address: w1, roles: [web] }
      - { name: worker1, address: k1, roles: [worker], primary: true }
`;
const env = resolveEnvironment(parseConfig(text, "/cfg/slipway.yml"), "prod");
const empty = (host: string): HostState => ({
  host,
  initialized: true,
  current: null,
  releases: [],
  lock: null,
  deploying: null,
  journal: {},
  pushRecord: null,
  problems: [],
});
const rel = (id: string, status: ReleaseInfo["status"]): ReleaseInfo => ({ id, status, manifest: null });
const now = new Date("2026-11-22T10:00:00Z");
const sha = "0123456789abcdef0123456789abcdef01234567";

describe("planDeploy", () => {
  const plan = planDeploy({
    env,
    hosts: env.hosts,
    states: { web1: empty("web1"), worker1: empty("worker1") },
    commit: sha,
    ref: "main",
    now,
    by: "me@laptop",
    toolVersion: "0.1.0",
  });

  it("groups phases into round trips and puts local hooks between them", () => {
    expect(plan.releaseId).toBe("20261122-100000-0123456");
    expect(
      plan.stages.map((s) => (s.kind === "hosts" ? `${s.phases.join("+")}@${s.hosts.join(",")}` : s.kind === "local" ? `${s.kind}:${s.phase}` : s.kind)),
    ).toEqual(["fetch+link+build@web1,worker1", "migrate@worker1", "local:switch", "switch+cleanup@web1,worker1", "restart+verify@web1,worker1"]);
  });

  it("filters commands by role and orders hooks around the phase", () => {
    const stage = plan.stages[0]!;
    if (stage.kind !== "hosts") throw new Error();
    const build = (h: string) => stage.scripts[h]!.sections.find((s) => s.phase === "build")!.commands.map((c) => c.display);
    expect(build("web1")).toEqual(["echo before-build", "npm ci"]);
    expect(build("worker1")).toEqual(["echo before-build", "npm ci", "venv/bin/pip install -r requirements.txt"]);
    expect(stage.scripts.web1!.sections.find((s) => s.phase === "build")!.cwd).toBe("/srv/web/releases/20261122-100000-0123456");
    const sw = plan.stages[3]!;
    if (sw.kind !== "hosts") throw new Error();
    expect(sw.scripts.web1!.sections[0]!.commands.map((c) => c.display)).toEqual([
      "mark 20261122-100000-0123456 ok",
      "switch current → releases/20261122-100000-0123456",
      "echo switched",
    ]);
    expect(stage.scripts.web1!.env).toMatchObject({ SLIPWAY_RELEASE: "20261122-100000-0123456", SLIPWAY_HOST: "web1", SLIPWAY_COMMIT: sha });
  });

  it("formats hosts × phases × commands for --plan", () => {
    const text = formatPlan(plan);
    expect(text).toContain("plan: deploy prod release 20261122-100000-0123456");
    expect(text).toContain("switch    before hook, on this machine:\n            $ ./notify.sh starting");
    expect(text).toContain("    migrate  $ ./manage.py migrate");
  });

  it("a new id sorts after every existing release, even in the same second", () => {
    const st = { ...empty("a"), releases: [rel("20261122-100000-fffffff", "ok")] };
    expect(nextReleaseId(now, "0000000aaa", [st])).toBe("20261122-100001-0000000");
    expect(nextReleaseId(now, "0000000aaa", [empty("a")])).toBe("20261122-100000-0000000");
  });
});

describe("releasesToRemove", () => {
  const st = (current: string | null, rs: ReleaseInfo[]): HostState => ({ ...empty("h"), current, releases: rs });
  it("keeps N newest good, current and the rollback target; removes failed and bad", () => {
    const s = st("r5", [rel("r1", "ok"), rel("r2", "failed"), rel("r3", "ok"), rel("r4", "bad"), rel("r5", "ok")]);
    expect(releasesToRemove(s, 1)).toEqual(["r1", "r2", "r4"]);
    expect(releasesToRemove(s, 3)).toEqual(["r2", "r4"]);
  });
  it("never removes current even when it is bad, nor a building release newer than current", () => {
    const s = st("r2", [rel("r1", "building"), rel("r2", "bad"), rel("r3", "building")]);
    expect(releasesToRemove(s, 1)).toEqual(["r1"]);
  });
});

describe("chooseRollback", () => {
  const states = (a: HostState, b?: HostState) => ({ a, ...(b ? { b } : {}) });
  it("picks the newest good release older than current, skipping bad and failed", () => {
    const s = { ...empty("a"), current: "r4", releases: [rel("r1", "ok"), rel("r2", "bad"), rel("r3", "failed"), rel("r4", "ok")] };
    expect(chooseRollback(states(s), "a")).toEqual({ target: "r1", from: "r4" });
  });
  it("refuses with reasons", () => {
    expect(chooseRollback(states(empty("a")), "a")).toEqual({ refuse: "nothing to roll back: a has no current release" });
    const one = { ...empty("a"), current: "r1", releases: [rel("r1", "ok")] };
    expect(chooseRollback(states(one), "a")).toMatchObject({ refuse: expect.stringMatching(/no good release older than r1/) });
    const b = { ...empty("b"), current: "r2", releases: [rel("r2", "ok")] };
    const a = { ...empty("a"), current: "r2", releases: [rel("r1", "ok"), rel("r2", "ok")] };
    expect(chooseRollback(states(a, b), "a")).toEqual({ refuse: "release r1 does not exist on b" });
  });
});
