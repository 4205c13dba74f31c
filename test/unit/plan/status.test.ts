/** planStatus is pure: which hosts disagree, what the lock and the deploying record mean, health per role; and its screen. */
import { describe, expect, it } from "vitest";
import type { Pending } from "../../../src/plan/pending.js";
import type { HostState, Manifest } from "../../../src/plan/state.js";
import { formatStatus, planStatus, type StatusInput } from "../../../src/plan/status.js";

const C1 = "1".repeat(40);
const C2 = "2".repeat(40);
const R1 = "20261201-100000-1111111";
const R2 = "20261202-100000-2222222";
const manifest = (id: string, commit: string): Manifest => ({
  id,
  app: "shop",
  env: "prod",
  commit,
  ref: "main",
  source: "git",
  deployedBy: "ada@laptop",
  createdAt: "2026-12-02T10:00:00.000Z",
  toolVersion: "1.0.0",
  previous: null,
});
const state = (host: string, current: string | null, extra: Partial<HostState> = {}): HostState => ({
  host,
  initialized: true,
  current,
  releases: [
    { id: R1, status: "ok", manifest: manifest(R1, C1) },
    { id: R2, status: "ok", manifest: manifest(R2, C2) },
  ],
  lock: null,
  deploying: null,
  pushRecord: null,
  journal: {},
  problems: [],
  ...extra,
});
const upToDate: Pending = { state: "up-to-date", ref: "main", from: C2, to: C2, commits: [], count: 0, files: [] };
const input = (over: Partial<StatusInput> = {}): StatusInput => ({
  app: "shop",
  env: "prod",
  component: null,
  primary: "web1",
  hosts: [
    { name: "web1", roles: ["web"] },
    { name: "web2", roles: ["web"] },
    { name: "worker1", roles: ["worker"] },
  ],
  states: { web1: state("web1", R2), web2: state("web2", R2), worker1: state("worker1", R2) },
  unreachable: [],
  probes: { web1: [{ service: "app", ok: true, output: "" }], web2: [{ service: "app", ok: true, output: "" }], worker1: [] },
  services: [{ name: "app", roles: ["web"] }],
  lock: null,
  pending: upToDate,
  subject: "Ship it",
  ...over,
});

describe("planStatus", () => {
  it("all agree and healthy: ok, with the primary's release, commit, subject and deployer", () => {
    const r = planStatus(input());
    expect(r).toMatchObject({ ok: true, disagree: [], failures: [], current: { release: R2, commit: C2, subject: "Ship it", deployedBy: "ada@laptop" } });
    expect(r.services).toEqual([{ role: "web", service: "app", healthy: 2, total: 2, unhealthy: [] }]);
    expect(formatStatus(r)).toBe(
      [
        "shop prod (3 hosts, primary web1)",
        `current   ${R2}  222222222222  "Ship it"`,
        "          deployed by ada@laptop at 2026-12-02 10:00:00Z (ref main)",
        `hosts     all 3 on ${R2}`,
        "lock      not held",
        "deploy    none in progress",
        "services  web/app: 2/2 healthy",
        "pending   up to date (main is 222222222222, which runs now)",
        "",
      ].join("\n"),
    );
  });

  it("names hosts that disagree with the primary (another release, a foreign current, unreachable), and is not ok", () => {
    const r = planStatus(
      input({
        states: { web1: state("web1", R2), web2: state("web2", R1), worker1: state("worker1", null, { badCurrent: "/srv/x" }) },
        unreachable: [],
      }),
    );
    expect(r.ok).toBe(false);
    expect(r.disagree).toEqual([
      { host: "web2", release: R1, commit: C1 },
      { host: "worker1", release: null, commit: null, note: "current points at /srv/x, not a release" },
    ]);
    const text = formatStatus(r);
    expect(text).toContain(
      `hosts     2 disagree with ${R2}:\n          web2: runs ${R1} (111111111111)\n          worker1: current points at /srv/x, not a release\n`,
    );
    const lost = planStatus(
      input({ states: { web1: state("web1", R2), web2: state("web2", R2) }, unreachable: [{ host: "worker1", error: "connect ECONNREFUSED\nmore" }] }),
    );
    expect(lost.failures).toEqual(["worker1 disagrees: unreachable: connect ECONNREFUSED"]);
  });

  it("without the primary's answer, the most common release is the reference; an unknown subject is said so", () => {
    const r = planStatus(
      input({ states: { web2: state("web2", R2), worker1: state("worker1", R2) }, unreachable: [{ host: "web1", error: "timeout" }], subject: null }),
    );
    expect(r.current.release).toBe(R2);
    expect(r.disagree.map((d) => d.host)).toEqual(["web1"]);
    expect(formatStatus(r)).toContain("222222222222  (subject unknown)");
  });

  it("hosts without roles are one group, running the services that name no role", () => {
    const r = planStatus(
      input({
        hosts: [
          { name: "h1", roles: [] },
          { name: "h2", roles: [] },
        ],
        primary: "h1",
        states: { h1: state("h1", R2), h2: state("h2", R2) },
        probes: { h1: [{ service: "app", ok: true, output: "" }], h2: [{ service: "app", ok: false, output: "down" }] },
        services: [{ name: "app", roles: null }],
      }),
    );
    expect(r.services).toEqual([{ role: "all", service: "app", healthy: 1, total: 2, unhealthy: [{ host: "h2", output: "down" }] }]);
  });

  it("an unhealthy service names its host and role; a service with no report counts as unhealthy", () => {
    const r = planStatus(input({ probes: { web1: [{ service: "app", ok: false, output: "GET /health → 500" }], web2: [] } }));
    expect(r.services[0]).toEqual({
      role: "web",
      service: "app",
      healthy: 0,
      total: 2,
      unhealthy: [
        { host: "web1", output: "GET /health → 500" },
        { host: "web2", output: "not reported" },
      ],
    });
    expect(r.failures).toEqual(["app unhealthy on web1 (web)", "app unhealthy on web2 (web)"]);
  });

  it("a deploying record is in progress while a live deploy holds the lock, else interrupted with the resume command", () => {
    const deploying = { release: "20261202-110000-3333333", commit: C2, ref: "main", by: "ada@laptop", startedAt: "2026-12-02T11:00:00.000Z", previous: R2 };
    const states = { web1: state("web1", R2, { deploying }), web2: state("web2", R2), worker1: state("worker1", R2) };
    const held = { info: { verb: "deploy", who: "ada@laptop" }, holder: "held by ada@laptop for 5s; deploy", stale: false };
    expect(planStatus(input({ states, lock: held })).deploy?.state).toBe("in-progress");
    const dead = planStatus(
      input({ states, lock: { ...held, stale: true, holder: "held by ada@laptop for 5s; deploy\nthe holder process is gone" }, component: "api" }),
    );
    expect(dead.deploy).toMatchObject({ state: "interrupted", resume: "slipway prod deploy api --resume" });
    expect(dead.ok).toBe(true);
    const text = formatStatus(dead);
    expect(text).toContain("lock      held by ada@laptop for 5s; deploy\n          the holder process is gone\n");
    expect(text).toContain(
      "deploy    INTERRUPTED: 20261202-110000-3333333 (222222222222, ref main) started by ada@laptop at 2026-12-02 11:00:00Z\n          resume with: slipway prod deploy api --resume\n",
    );
    expect(planStatus(input({ states })).deploy?.state).toBe("interrupted");
  });
});
