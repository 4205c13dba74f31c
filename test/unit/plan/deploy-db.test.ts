/** The database part of deploy plans, pure: where backups and alters go, the record, and the downtime decision. */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/load.js";
import { resolveEnvironment } from "../../../src/config/resolve.js";
import { decideDowntime, type DbDeployInput } from "../../../src/plan/deploy-db.js";
import { planDeploy } from "../../../src/plan/deploy.js";
import { formatPlan } from "../../../src/plan/format.js";
import type { HostState } from "../../../src/plan/state.js";

const config = (migrate: string, backups = "") => `app: web
source: { git: https://example.com/r.git, ref: main }
deploy_to: /srv/web
${migrate}
environments:
  prod:
    hosts:
      - { name: web1, address: w1, roles: [web], primary: true }
      - { name: db1, address: d1, roles: [db] }
    databases:
      main: { engine: postgres, name: app, user: app, alters: { dir: db/alters }${backups} }
`;
const empty = (host: string): HostState => ({
  host,
  initialized: true,
  current: null,
  releases: [],
  lock: null,
  deploying: null,
  pushRecord: null,
  journal: {},
  problems: [],
});
const input = (o: Partial<DbDeployInput> = {}): DbDeployInput => ({
  key: "main",
  applied: [],
  pending: [],
  altersText: "",
  refuse: [],
  needsDowntime: false,
  reasons: [],
  ...o,
});
const plan = (cfg: string, inputs: DbDeployInput[], action: "none" | "bring-up" = "none") => {
  const env = resolveEnvironment(parseConfig(cfg, "/cfg/slipway.yml"), "prod");
  return planDeploy({
    env,
    hosts: env.hosts,
    states: { web1: empty("web1"), db1: empty("db1") },
    commit: "a".repeat(40),
    ref: "main",
    now: new Date("2026-12-02T10:00:00Z"),
    by: "me@here",
    toolVersion: "0",
    databases: { inputs, downtime: { class: action === "none" ? "zero-downtime" : "needs downtime", reasons: [], action } },
  });
};
const kinds = (p: ReturnType<typeof plan>) => p.stages.map((s) => (s.kind === "hosts" ? s.phases.join("+") : s.kind === "db" ? `db:${s.action}` : s.kind));

describe("database stages in a deploy plan", () => {
  it("backup, then pending alters, right before migrate; the record after it, before the switch", () => {
    const p = plan(config("migrate: [./manage.py migrate]"), [input({ pending: [{ name: "0001_a.sql", checksum: "c1" }] })]);
    expect(kinds(p)).toEqual(["fetch+link+build", "db:backup", "db:alters", "migrate", "db:record", "switch+cleanup"]);
    const rec = p.stages.find((s) => s.kind === "db" && s.action === "record");
    expect(rec).toMatchObject({ alters: { main: [{ name: "0001_a.sql", checksum: "c1" }] }, hosts: ["web1", "db1"] });
    expect(formatPlan(p)).toContain("backup    main on db1: consistent dump (before-migrate); a failure stops the deploy, nothing migrated or switched");
  });

  it("no migrate commands and no pending alters: no backup, but the schema is still recorded", () => {
    const p = plan(config(""), [input({ applied: [{ name: "0001_a.sql", checksum: "c1" }] })]);
    expect(kinds(p)).toEqual(["fetch+link+build", "db:record", "switch+cleanup"]);
  });

  it("pending alters without migrate commands still get a backup, before the switch", () => {
    const p = plan(config(""), [input({ pending: [{ name: "0002_b.sql", checksum: "c2" }] })]);
    expect(kinds(p)).toEqual(["fetch+link+build", "db:backup", "db:alters", "db:record", "switch+cleanup"]);
  });

  it("after_migrate adds a second backup after migrate; before_migrate: false drops the first", () => {
    const p = plan(config("migrate: [m]", ", backups: { before_migrate: false, after_migrate: true }"), [input()]);
    expect(kinds(p)).toEqual(["fetch+link+build", "migrate", "db:backup", "db:record", "switch+cleanup"]);
  });

  it("--downtime wraps the database steps: page up before the backup, down at the very end", () => {
    const p = plan(config("migrate: [m]\nrestart: [r]"), [input()], "bring-up");
    expect(kinds(p)).toEqual(["fetch+link+build", "downtime", "db:backup", "migrate", "db:record", "switch+cleanup", "restart+verify", "downtime"]);
    expect(p.stages.filter((s) => s.kind === "downtime").map((s) => (s as { action: string }).action)).toEqual(["start", "end"]);
  });
});

describe("decideDowntime", () => {
  const reasons = [input({ reasons: ["0003_drop.sql: DROP COLUMN"] })];
  it("zero-downtime without reasons", () =>
    expect(decideDowntime([input()], { pageUp: false, downtime: false })).toMatchObject({ class: "zero-downtime", action: "none" }));
  it("refuses without the page or --downtime, naming the reason and both ways on", () => {
    const d = decideDowntime(reasons, { pageUp: false, downtime: false });
    expect("refuse" in d && d.refuse).toContain("main: 0003_drop.sql: DROP COLUMN");
    expect("refuse" in d && d.refuse).toContain("--downtime");
  });
  it("goes on when the page is already up, or brings it up with --downtime", () => {
    expect(decideDowntime(reasons, { pageUp: true, downtime: false })).toMatchObject({ action: "page-up" });
    expect(decideDowntime(reasons, { pageUp: false, downtime: true })).toMatchObject({ action: "bring-up" });
  });
  it("the configured command counts as a reason", () => {
    const d = decideDowntime([input()], { pageUp: false, downtime: true, command: { needsDowntime: true, reason: "main: downtime command says so" } });
    expect(d).toMatchObject({ class: "needs downtime", reasons: ["main: downtime command says so"] });
  });
});
