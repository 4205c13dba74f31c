/** QA clone: scrub SQL per rule on both engines (run through a real bash as the host would), hostile names and values, refusals, the plan. */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { credentialSetup } from "../../../src/commands/db/client.js";
import { checkQuery, columnUpdate, runSql, scrubSql, splitColumn } from "../../../src/commands/db/scrub.js";
import { parseConfig } from "../../../src/config/load.js";
import { resolveEnvironment } from "../../../src/config/resolve.js";
import { formatClonePlan, planClone, sameDatabase, sameLogin, type CloneBackup, type ClonePlan } from "../../../src/plan/clone.js";
import { parseCheckOutput } from "../../../src/plan/clone-input.js";

const PG = { engine: "postgres" as const };
const MY = { engine: "mysql" as const };
const HOSTILE_VALUE = `it's "x" \\' ; DROP TABLE users; -- $(touch /tmp/pwned) \`id\``;

describe("columnUpdate", () => {
  it("email: a row counter makes every address unique; NULLs stay NULL", () => {
    expect(columnUpdate(PG, "users.email", "email")).toBe(
      `UPDATE "users" SET "email" = 'user' || nextval('slipway_scrub_n') || '@example.invalid' WHERE "email" IS NOT NULL`,
    );
    expect(columnUpdate(MY, "users.email", "email")).toBe(
      "UPDATE `users` SET `email` = CONCAT('user', (@slipway_scrub_n := @slipway_scrub_n + 1), '@example.invalid') WHERE `email` IS NOT NULL",
    );
  });
  it("phone, name, null and {set} on both engines", () => {
    expect(columnUpdate(PG, "users.phone", "phone")).toBe(`UPDATE "users" SET "phone" = '+15550100' WHERE "phone" IS NOT NULL`);
    expect(columnUpdate(MY, "users.phone", "phone")).toBe("UPDATE `users` SET `phone` = '+15550100' WHERE `phone` IS NOT NULL");
    expect(columnUpdate(PG, "users.full_name", "name")).toBe(`UPDATE "users" SET "full_name" = 'Test User' WHERE "full_name" IS NOT NULL`);
    expect(columnUpdate(MY, "users.full_name", "name")).toBe("UPDATE `users` SET `full_name` = 'Test User' WHERE `full_name` IS NOT NULL");
    expect(columnUpdate(PG, "users.notes", "null")).toBe(`UPDATE "users" SET "notes" = NULL`);
    expect(columnUpdate(MY, "users.notes", "null")).toBe("UPDATE `users` SET `notes` = NULL");
    expect(columnUpdate(PG, "api_credentials.secret", { set: "test-key" })).toBe(`UPDATE "api_credentials" SET "secret" = 'test-key'`);
    expect(columnUpdate(MY, "api_credentials.secret", { set: "test-key" })).toBe("UPDATE `api_credentials` SET `secret` = 'test-key'");
  });
  it("quotes hostile identifiers and values for each engine", () => {
    expect(columnUpdate(PG, `we"ird.co"l`, { set: HOSTILE_VALUE })).toBe(
      `UPDATE "we""ird" SET "co""l" = 'it''s "x" \\'' ; DROP TABLE users; -- $(touch /tmp/pwned) \`id\`'`,
    );
    expect(columnUpdate(MY, "we`ird.co`l", { set: HOSTILE_VALUE })).toBe(
      "UPDATE `we``ird` SET `co``l` = 'it''s \"x\" \\\\'' ; DROP TABLE users; -- $(touch /tmp/pwned) `id`'",
    );
  });
  it("splits table.column and refuses anything else", () => {
    expect(splitColumn("users.email")).toEqual({ table: "users", column: "email" });
    expect(() => splitColumn("email")).toThrow(/table\.column/);
    expect(() => splitColumn("users.")).toThrow(/table\.column/);
  });
});

describe("scrubSql", () => {
  it("postgres: statements then rules in one transaction, the counter created and dropped inside it", () => {
    expect(scrubSql(PG, ["DELETE FROM sessions", "TRUNCATE audit;"], { "users.email": "email", "users.phone": "phone" })).toBe(
      [
        "BEGIN;",
        "CREATE TEMPORARY SEQUENCE slipway_scrub_n;",
        "DELETE FROM sessions;",
        "TRUNCATE audit;",
        `UPDATE "users" SET "email" = 'user' || nextval('slipway_scrub_n') || '@example.invalid' WHERE "email" IS NOT NULL;`,
        `UPDATE "users" SET "phone" = '+15550100' WHERE "phone" IS NOT NULL;`,
        "DROP SEQUENCE slipway_scrub_n;",
        "COMMIT;",
        "",
      ].join("\n"),
    );
  });
  it("mysql: a session variable counter, START TRANSACTION ... COMMIT", () => {
    expect(scrubSql(MY, [], { "users.email": "email" })).toBe(
      [
        "START TRANSACTION;",
        "SET @slipway_scrub_n := 0;",
        "UPDATE `users` SET `email` = CONCAT('user', (@slipway_scrub_n := @slipway_scrub_n + 1), '@example.invalid') WHERE `email` IS NOT NULL;",
        "COMMIT;",
        "",
      ].join("\n"),
    );
  });
  it("no counter without an email rule", () => {
    expect(scrubSql(PG, [], { "t.c": "null" })).toBe(`BEGIN;\nUPDATE "t" SET "c" = NULL;\nCOMMIT;\n`);
  });
});

const DB = {
  key: "main",
  engine: "postgres" as const,
  role: "db",
  host: { name: "db1", transport: "ssh" as const, address: "d1", roles: ["db"], primary: false, deployTo: "/srv" },
  server: { host: "127.0.0.1", port: 5432 },
  name: "qadb",
  user: "app",
  password: `p:a\\s's"w$(touch /tmp/pwned)\`;x`,
  backups: { dir: "/srv/b", keep: 1, keepDays: 1, beforeMigrate: true, afterMigrate: false },
  downtime: { mysqlDdl: true },
};

describe("scrub commands through a real bash", () => {
  it("the SQL reaches the client's stdin byte for byte, hostile values included; the password only in the builtin printf to the pass file", () => {
    for (const engine of ["postgres", "mysql"] as const) {
      const db = { ...DB, engine };
      const sql = scrubSql(db, [`UPDATE t SET x = ${"'"}${HOSTILE_VALUE.replace(/'/g, "''")}'`], { "users.email": "email", "t.k": { set: HOSTILE_VALUE } });
      const c = runSql(db, sql);
      // The client stood in for by a function printing its stdin: what the host's psql/mysql would read.
      const out = execFileSync("bash", ["-c", `set -o pipefail; psql() { cat; }; mysql() { cat; }; ${c.sh}`], { encoding: "utf8" });
      expect(out).toBe(sql);
      expect(c.display).toBe("run SQL on qadb");
      // The pass file is written by the printf builtin (credentialSetup); the rest never holds the password.
      expect(c.sh.startsWith(credentialSetup(db))).toBe(true);
      expect(c.sh.slice(credentialSetup(db).length)).not.toContain(DB.password);
    }
  });
  it("a check query prints its index and each row prefixed; a failing query fails the command", () => {
    const c = checkQuery(DB, "SELECT email FROM users WHERE email NOT LIKE '%@example.invalid'", 1);
    expect(c.sh).toContain(`-A -t -F '\t' -c 'SELECT email FROM users WHERE email NOT LIKE '\\''%@example.invalid'\\'''`);
    expect(c.sh).toContain(`trap 'rm -f "$__cred"' EXIT`);
    expect(c.display).toBe("check 2: SELECT email FROM users WHERE email NOT LIKE '%@example.invalid'");
    // psql stood in for by a function: two rows, the second with an empty column and no final newline.
    const run = (body: string) => execFileSync("bash", ["-c", `set -o pipefail; psql() { ${body}; }; ${c.sh}`], { encoding: "utf8" }).split("\n");
    expect(parseCheckOutput(run(`printf 'ann@example.com\\t1\\n\\t2'`), 2)).toEqual({ rows: [[], ["ann@example.com\t1", "\t2"]], problems: [] });
    expect(parseCheckOutput(run("true"), 2)).toEqual({ rows: [[], []], problems: [] });
    expect(() => run("echo 'ERROR: relation does not exist' >&2; return 1")).toThrow();
    expect(checkQuery({ ...DB, engine: "mysql" }, "SELECT 1", 0).sh).toContain("-e 'SELECT 1'");
  });
});

describe("parseCheckOutput", () => {
  it("attributes rows to their check; unexpected lines are problems", () => {
    const r = parseCheckOutput(["C\t0", "C\t1", "R\tann@example.com\t1", "R\tbob@example.com\t2", "junk", "C\t9"], 2);
    expect(r.rows).toEqual([[], ["ann@example.com\t1", "bob@example.com\t2"]]);
    expect(r.problems).toEqual([`unexpected line from the checks: "junk"`, "check 9: no such check"]);
  });
});

const config = (qaClone: string, extra = "") =>
  parseConfig(
    `app: shop
source: { git: https://example.com/r.git, ref: main }
deploy_to: /srv/shop
secret_env: [PROD_DB_PW, QA_DB_PW]
services:
  web:
    backend: command
    roles: [web]
    start: ./start
    stop: ./stop
environments:
  production:
    hosts:
      - { name: prod-db, address: pd, roles: [db] }
    databases:
      main: { engine: postgres, name: appdb, user: app, password_secret: PROD_DB_PW }
  qa:
    hosts:
      - { name: qa-web, address: qw, roles: [web] }
      - { name: qa-db, address: qd, roles: [db] }
    databases:
      main:
        engine: postgres
        name: ${extra || "qadb"}
        user: app
        password_secret: QA_DB_PW
${qaClone}
`,
    "/cfg/slipway.yml",
  );
const readEnv = (k: string) => ({ PROD_DB_PW: "prod-secret", QA_DB_PW: "qa-secret" })[k];
const RULES = `        clone:
          scrub: ["DELETE FROM sessions"]
          columns: { users.email: email, users.phone: phone, api_credentials.secret: { set: test-key } }
          check: ["SELECT email FROM users WHERE email NOT LIKE '%@example.invalid'"]`;
const BACKUPS: CloneBackup[] = [
  { id: "20261201-100000-aaaa", createdAt: "2026-12-01T10:00:00.000Z", by: "ada@ctl", release: null },
  { id: "20261202-100000-bbbb", createdAt: "2026-12-02T10:00:00.000Z", by: "bob@ctl", release: "20261202-090000-abc1234" },
];
function plan(qaClone = RULES, o: { unscrubbed?: boolean; backupId?: string; backups?: CloneBackup[]; qaName?: string; from?: string } = {}) {
  const loaded = config(qaClone, o.qaName);
  const target = resolveEnvironment(loaded, "qa", readEnv);
  const source = resolveEnvironment(loaded, o.from ?? "production", readEnv);
  return planClone({
    target,
    targetDb: target.databases[0]!,
    source,
    sourceDb: source.databases[0]!,
    backups: o.backups ?? BACKUPS,
    backupId: o.backupId,
    unscrubbed: Boolean(o.unscrubbed),
  });
}

describe("planClone", () => {
  it("the newest backup, streamed between hosts; services stopped and started; scrub and checks", () => {
    const p = plan() as ClonePlan;
    expect(p.backup.id).toBe("20261202-100000-bbbb");
    expect(p.transfer).toBe("stream");
    expect(p.lock).toBe("qa-web");
    expect(p.stop?.services).toEqual({ "qa-web": ["web"] });
    expect(p.start?.action).toBe("start");
    expect(p.scrubbed).toBe(true);
    expect(p.scrubSql).toContain(`UPDATE "api_credentials" SET "secret" = 'test-key';`);
    expect(p.checks).toHaveLength(1);
    const text = formatClonePlan(p);
    expect(text).toContain("1. stop services (qa-web: web)");
    expect(text).toContain(
      "2. restore backup 20261202-100000-bbbb of production main, created 2026-12-02T10:00:00.000Z by bob@ctl, release 20261202-090000-abc1234",
    );
    expect(text).toContain("no new backup is taken: for fresh data run `slipway production db backup` first");
    expect(text).toContain("streamed prod-db → this machine → qa-db");
    expect(text).toContain("3. scrub, in one transaction:\n   BEGIN;");
    expect(text).toContain("4. checks, each must return no rows");
    expect(text).toContain("5. start services (qa-web: web) and wait for health");
    expect(text).not.toMatch(/prod-secret|qa-secret/);
  });
  it("--backup picks that one; an unknown id is refused naming the newest", () => {
    expect((plan(RULES, { backupId: "20261201-100000-aaaa" }) as ClonePlan).backup.by).toBe("ada@ctl");
    expect(plan(RULES, { backupId: "20261130-100000-cccc" })).toEqual({ refuse: expect.stringMatching(/no such backup.*20261202-100000-bbbb/) });
  });
  it("no backups: refused, suggesting a backup of the source (a clone takes none)", () => {
    expect(plan(RULES, { backups: [] })).toEqual({ refuse: expect.stringContaining("Take one with: slipway production db backup") });
  });
  it("refused without scrub rules unless --unscrubbed; unscrubbed runs no scrub and no checks", () => {
    expect(plan("")).toEqual({ refuse: expect.stringMatching(/no scrub rules.*--unscrubbed/) });
    expect(plan(`        clone: { check: ["SELECT 1"] }`)).toEqual({ refuse: expect.stringMatching(/no scrub rules/) });
    const p = plan("", { unscrubbed: true }) as ClonePlan;
    expect(p.scrubbed).toBe(false);
    expect(p.scrubSql).toBeNull();
    expect(formatClonePlan(p)).toContain("scrub: NONE (--unscrubbed");
  });
  it("refuses --from the same environment", () => {
    expect(plan(RULES, { from: "qa" })).toEqual({ refuse: expect.stringMatching(/--from qa is this environment/) });
  });
  it("refuses a target that may be the source database (same name, server address and port, whatever the db host)", () => {
    expect(plan(RULES, { qaName: "appdb" })).toEqual({
      refuse: expect.stringMatching(/may be the same database as production main.*never restores over its source/),
    });
    const mk = (address: string, server: string, name = "appdb", port = 5432) => ({
      ...DB,
      name,
      server: { host: server, port },
      host: { ...DB.host, address },
    });
    expect(sameDatabase(mk("d1", "127.0.0.1"), mk("d2", "127.0.0.1"))).toBe(true);
    expect(sameDatabase(mk("d1", "pg.internal"), mk("d2", "PG.internal"))).toBe(true);
    expect(sameDatabase(mk("d1", "pg.internal"), mk("d2", "pg.internal", "qadb"))).toBe(false);
    expect(sameDatabase(mk("d1", "pg.internal"), mk("d1", "pg.internal", "appdb", 5433))).toBe(false);
  });
  it("stop_services: false stops and starts nothing", () => {
    const p = plan(`${RULES}\n          stop_services: false`) as ClonePlan;
    expect(p.stop).toBeNull();
    expect(p.start).toBeNull();
    expect(formatClonePlan(p)).toContain("1. stop services: none");
  });
});

describe("transfer", () => {
  const host = (address: string, user?: string) => ({ name: "h", transport: "ssh" as const, address, user, roles: ["db"], primary: false, deployTo: "/srv" });
  it("same login: read in place (same directory) or copied on the host; otherwise streamed through this machine", () => {
    expect(sameLogin(host("d1", "app"), host("d1", "app"))).toBe(true);
    expect(sameLogin(host("d1", "app"), host("d1", "qa"))).toBe(false);
    expect(sameLogin(host("d1"), { ...host("d1"), port: 2222 })).toBe(false);
    expect(sameLogin({ ...host("x"), transport: "local" }, { ...host("y"), transport: "local" })).toBe(true);
    const loaded = parseConfig(
      `app: shop
source: { git: https://example.com/r.git, ref: main }
environments:
  production:
    hosts: [{ name: db1, address: d1, roles: [db] }]
    databases: { main: { engine: mysql, name: shop, user: app } }
  qa:
    hosts: [{ name: db1, address: d1, roles: [db] }]
    databases:
      main: { engine: mysql, name: shop_qa, user: app, backups: { dir: /srv/qa-backups }, clone: { scrub: ["DELETE FROM sessions"] } }
`,
      "/cfg/slipway.yml",
    );
    const t = resolveEnvironment(loaded, "qa");
    const s = resolveEnvironment(loaded, "production");
    const p = planClone({ target: t, targetDb: t.databases[0]!, source: s, sourceDb: s.databases[0]!, backups: BACKUPS, unscrubbed: false }) as ClonePlan;
    expect(p.transfer).toBe("copy-on-host");
    expect(p.stop).toBeNull(); // no services configured
    expect(formatClonePlan(p)).toMatch(/copied on db1 from \S+\/\.slipway\/backups\/main to \/srv\/qa-backups, removed after the restore/);
    const same = planClone({
      target: t,
      targetDb: { ...t.databases[0]!, backups: s.databases[0]!.backups },
      source: s,
      sourceDb: s.databases[0]!,
      backups: BACKUPS,
      unscrubbed: false,
    }) as ClonePlan;
    expect(same.transfer).toBe("in-place");
    expect(
      planClone({ target: t, targetDb: { ...t.databases[0]!, engine: "postgres" }, source: s, sourceDb: s.databases[0]!, backups: BACKUPS, unscrubbed: false }),
    ).toEqual({
      refuse: expect.stringContaining("a backup restores only into the same engine"),
    });
  });
});
