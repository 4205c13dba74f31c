/**
 * Databases inside deploys and rollbacks, through the built CLI, against real sshd hosts and a
 * real PostgreSQL server: a backup right before migrate (and nothing migrates or switches when
 * it fails), tracked alters applied by the deploy, the downtime class, and rollback across
 * migrations (refused; --restore-db brings back the exact rows under downtime).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DbServer, SKIP_DB, startPostgres, startMariadb } from "../dbservers.js";
import { Fleet, SKIP_FLEET } from "../fleet.js";
import { cliSpawn, Repo, tmpdir, type CliResult } from "../helpers.js";

const SKIP = SKIP_FLEET || SKIP_DB;
let fleet: Fleet;
let pg: DbServer;
let my: DbServer;
const NAMES = ["app1", "db1"];

beforeAll(async () => {
  if (SKIP) return;
  [fleet, pg, my] = await Promise.all([Fleet.start(NAMES), startPostgres(), startMariadb()]);
}, 90_000);
afterAll(() => {
  fleet?.stop();
  pg?.stop();
  my?.stop();
});

let seq = 0;
function project(server: DbServer, dbExtra = "") {
  const app = `dbd${++seq}`;
  const dbName = `${app}_db`;
  if (server.engine === "postgres") server.sql(`CREATE DATABASE ${dbName} OWNER app`);
  else server.sql(`CREATE DATABASE ${dbName}`);
  const repo = new Repo(path.join(fleet.gitBase, app));
  const dir = tmpdir();
  writeFileSync(
    path.join(dir, "slipway.yml"),
    `app: ${app}
source: { git: "${fleet.gitUrl(app)}", ref: main }
secret_env: [DB_PASSWORD]
migrate:
  - touch "../../migrated-$SLIPWAY_RELEASE"
  - if [ -f check-page ]; then test -f ../../shared/maintenance/on; fi
environments:
  prod:
    hosts:
      - { name: app1, address: app1, roles: [web], primary: true }
      - { name: db1, address: db1, roles: [db] }
    databases:
      main:
        engine: ${server.engine}
        port: ${server.port}
        name: ${dbName}
        user: app
        password_secret: DB_PASSWORD
        alters: { dir: db/alters }
${dbExtra}
`,
  );
  const env = { ...fleet.env, DB_PASSWORD: server.password };
  // Asynchronous: a test that never yields starves the worker's RPC with vitest (an "onTaskUpdate" timeout under load).
  const run = (...args: string[]): Promise<CliResult> => cliSpawn(args, { cwd: dir, env }).done;
  const onHost = (h: string, command: string) => fleet.asUser(h, `cd apps/${app} && ${command}`);
  const commit = (files: Record<string, string | null>) => {
    for (const [f, body] of Object.entries(files)) {
      const p = path.join(repo.dir, f);
      if (body === null) rmSync(p, { force: true });
      else {
        mkdirSync(path.dirname(p), { recursive: true });
        writeFileSync(p, body);
      }
    }
    repo.git("add", "-A");
    repo.git("commit", "-q", "-m", "change");
  };
  const sql = (q: string) => server.sql(q, dbName).trim();
  const current = () => onHost("app1", "readlink current").trim().replace("releases/", "");
  return { app, dir, run, onHost, commit, sql, current, dbName };
}

describe.skipIf(SKIP)("databases in deploys and rollbacks (PostgreSQL)", () => {
  it("backs up right before migrate, applies pending alters, records the schema; rollback across them is refused, --restore-db brings the exact rows back", async () => {
    const p = project(pg);
    p.commit({
      VERSION: "1",
      "db/alters/0001_items.sql": "CREATE TABLE items (id int PRIMARY KEY, name text);\nINSERT INTO items VALUES (1, 'one'), (2, 'two');\n",
    });
    let r = await p.run("prod", "deploy", "--plan");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("database  main (postgres on db1): 1 pending alter(s)");
    expect(r.stdout).toContain("downtime  zero-downtime");
    expect(r.stdout).toMatch(/backup +main on db1: consistent dump \(before-migrate\)/);
    expect(r.stdout).toContain("alters    main on db1: apply 0001_items.sql");

    r = await p.run("prod", "deploy");
    expect(r.code, r.stderr).toBe(0);
    const v1 = p.current();
    expect(p.sql("SELECT count(*) FROM items")).toBe("2");
    const m1 = JSON.parse(p.onHost("app1", `cat releases/${v1}/.slipway/manifest.json`));
    expect(m1.db.main.backupBefore).toMatch(/\S/);
    expect(m1.db.main.alters).toBe(1);
    const rec1 = JSON.parse(p.onHost("app1", `cat releases/${v1}/.slipway/db.json`));
    expect(rec1.main.alters.map((a: { name: string }) => a.name)).toEqual(["0001_items.sql"]);
    const hist = p.onHost("app1", "tail -n 1 .slipway/history.ndjson");
    expect(JSON.parse(hist).backups.main).toEqual([m1.db.main.backupBefore]);
    r = await p.run("prod", "db", "backups", "--json");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.stringify(JSON.parse(r.stdout))).toContain(m1.db.main.backupBefore);
    // …and this machine's store has it with the deploy's events.
    const store = ["state.db", "state.db-wal"].map((f) => path.join(p.dir, ".slipway", f)).filter(existsSync);
    expect(store.map((f) => readFileSync(f).toString("latin1")).join("")).toContain(m1.db.main.backupBefore);

    // Rows written while v1 runs, then v2 with an alter that changes the schema and the data.
    p.sql("INSERT INTO items VALUES (3, 'three')");
    p.commit({ VERSION: "2", "db/alters/0002_price.sql": "ALTER TABLE items ADD COLUMN price int DEFAULT 7;\nUPDATE items SET name = upper(name);\n" });
    r = await p.run("prod", "deploy");
    expect(r.code, r.stderr).toBe(0);
    const v2 = p.current();
    expect(v2).not.toBe(v1);
    const m2 = JSON.parse(p.onHost("app1", `cat releases/${v2}/.slipway/manifest.json`));
    p.sql("INSERT INTO items VALUES (4, 'FOUR', 9)");

    r = await p.run("prod", "rollback");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`rollback refused: ${v1} was deployed with another database schema`);
    expect(r.stderr).toContain("alter applied since: 0002_price.sql");
    expect(p.current()).toBe(v2);

    // --restore-db shows what would be lost and wants --yes.
    r = await p.run("prod", "rollback", "--restore-db");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`restore backup ${m2.db.main.backupBefore}`);
    expect(r.stderr).toMatch(/public.items: 4 rows now, 3 in the backup \(1 written since are lost\)/);
    expect(r.stderr).toContain("re-run with --yes");
    expect(p.current()).toBe(v2);
    expect(p.sql("SELECT count(*) FROM items")).toBe("4");

    r = await p.run("prod", "rollback", "--restore-db", "--yes");
    expect(r.code, r.stderr).toBe(0);
    expect(p.current()).toBe(v1);
    expect(p.sql("SELECT id, name FROM items ORDER BY id")).toBe("1\tone\n2\ttwo\n3\tthree");
    expect(p.sql("SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'price'")).toBe("0");
    expect(p.onHost("app1", "test -f shared/maintenance/on && echo UP || echo DOWN").trim()).toBe("DOWN");
    // The replaced data was kept in a safety backup.
    r = await p.run("prod", "db", "backups", "--json");
    expect(r.stdout).toContain("before-restore");

    // --force rolls the code back without touching the database.
    p.commit({ VERSION: "3", "db/alters/0002_price.sql": null, "db/alters/0003_note.sql": "ALTER TABLE items ADD COLUMN note text;\n" });
    expect((await p.run("prod", "deploy")).code).toBe(0);
    r = await p.run("prod", "rollback", v1, "--force");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("alter applied since: 0003_note.sql");
    expect(p.sql("SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'note'")).toBe("1");
  }, 120_000);

  it("a backup that fails stops the deploy before migrate: nothing migrated, no alter applied, nothing switched", async () => {
    const p = project(pg, "        backups: { dir: /proc/slipway-cannot-write-here }");
    p.commit({ VERSION: "1" });
    // No alters yet and a migrate command: still backed up first, and the backup fails.
    const r = await p.run("prod", "deploy");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("before-migrate backup of main on db1 failed, so the deploy stops (nothing was migrated and nothing switched)");
    expect(p.onHost("app1", "ls migrated-* 2>/dev/null | wc -l").trim()).toBe("0");
    expect(p.onHost("app1", "readlink current || echo none").trim()).toBe("none");
    const id = p.onHost("app1", "ls releases").trim();
    expect(p.onHost("app1", `cat releases/${id}/.slipway/status`)).toBe("failed");
    expect(JSON.parse(p.onHost("app1", "tail -n 1 .slipway/history.ndjson")).outcome).toBe("failed");

    // With pending alters too: none is applied.
    const q = project(pg, "        backups: { dir: /proc/slipway-cannot-write-here }");
    q.commit({ VERSION: "1", "db/alters/0001_t.sql": "CREATE TABLE t (id int);\n" });
    expect((await q.run("prod", "deploy")).code).toBe(1);
    expect(q.sql("SELECT count(*) FROM information_schema.tables WHERE table_name = 't'")).toBe("0");
  }, 60_000);

  it("classifies downtime: a destructive alter refuses without the page or --downtime; --downtime brings the page up for migrate and down after", async () => {
    const p = project(pg);
    p.commit({ VERSION: "1", "db/alters/0001_items.sql": "CREATE TABLE items (id int, legacy text);\n" });
    expect((await p.run("prod", "deploy")).code).toBe(0);
    const v1 = p.current();
    p.commit({
      VERSION: "2",
      "db/alters/0002_drop_legacy.sql": "ALTER TABLE items DROP COLUMN legacy;\n",
    });
    let r = await p.run("prod", "deploy", "--plan");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("downtime  needs downtime");
    expect(r.stdout).toMatch(/0002_drop_legacy\.sql/);
    r = await p.run("prod", "deploy");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("this deploy needs downtime");
    expect(r.stderr).toContain("--downtime");
    expect(p.current()).toBe(v1);
    expect(p.sql("SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'legacy'")).toBe("1");

    // The migrate step proves the page was up while it ran.
    p.commit({ "check-page": "" });
    r = await p.run("prod", "deploy", "--downtime", "--plan");
    expect(r.stdout).toContain("--downtime: the page goes up before the database steps");
    r = await p.run("prod", "deploy", "--downtime");
    expect(r.code, r.stderr).toBe(0);
    const v2 = p.current();
    expect(p.onHost("app1", `ls migrated-${v2}`).trim()).toBe(`migrated-${v2}`);
    expect(p.onHost("app1", "test -f shared/maintenance/on && echo UP || echo DOWN").trim()).toBe("DOWN");
    expect(p.sql("SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'legacy'")).toBe("0");

    // Already under maintenance (downtime start by hand): allowed without --downtime, and the page stays up.
    p.commit({ VERSION: "3", "db/alters/0003_rename.sql": "ALTER TABLE items RENAME COLUMN id TO item_id;\n" });
    expect((await p.run("prod", "downtime", "start", "--message", "maintenance")).code).toBe(0);
    r = await p.run("prod", "deploy");
    expect(r.code, r.stderr).toBe(0);
    expect(p.onHost("app1", "test -f shared/maintenance/on && echo UP || echo DOWN").trim()).toBe("UP");
  }, 90_000);
});

describe.skipIf(SKIP)("the downtime command", () => {
  it("exit 3 classifies the deploy as needing downtime, with the commits it may compare; another exit stops the deploy", async () => {
    const p = project(pg, "        downtime: { command: 'test -z \"$SLIPWAY_PREVIOUS_COMMIT\" || exit 3' }");
    p.commit({ VERSION: "1" });
    let r = await p.run("prod", "deploy");
    expect(r.code, r.stderr).toBe(0);
    p.commit({ VERSION: "2" });
    r = await p.run("prod", "deploy", "--plan");
    expect(r.stdout).toContain("downtime  needs downtime");
    expect(r.stdout).toContain("main: downtime command says so");
    expect((await p.run("prod", "deploy")).code).toBe(1);
    const q = project(pg, "        downtime: { command: 'exit 7' }");
    q.commit({ VERSION: "1" });
    r = await q.run("prod", "deploy");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("failed (exit 7); expected 0 (zero-downtime) or 3 (needs downtime)");
  }, 60_000);
});

describe.skipIf(SKIP)("schema_status", () => {
  it("each release records its output; a rollback to a release with other output names the lines and is refused", async () => {
    const p = project(pg, "        schema_status: cat migrations.txt");
    p.commit({ VERSION: "1", "migrations.txt": "[X] 0001_initial\n[ ] 0002_price\n" });
    expect((await p.run("prod", "deploy")).code).toBe(0);
    const v1 = p.current();
    const rec = JSON.parse(p.onHost("app1", `cat releases/${v1}/.slipway/db.json`));
    expect(rec.main.status).toBe("[X] 0001_initial\n[ ] 0002_price\n");
    expect(rec.main.statusHash).toMatch(/^[0-9a-f]{32}$/);
    p.commit({ VERSION: "2", "migrations.txt": "[X] 0001_initial\n[X] 0002_price\n" });
    expect((await p.run("prod", "deploy")).code).toBe(0);
    let r = await p.run("prod", "rollback", "--plan");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("schema_status now: [X] 0002_price");
    r = await p.run("prod", "rollback");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("schema_status then: [ ] 0002_price");
    expect((await p.run("prod", "rollback", "--force")).code).toBe(0);
    expect(p.current()).toBe(v1);
  }, 60_000);
});

describe.skipIf(SKIP)("databases in deploys (MariaDB)", () => {
  it("any DDL needs downtime on MySQL by default, and --plan says DDL commits implicitly", async () => {
    const p = project(my);
    p.commit({ VERSION: "1", "db/alters/0001_items.sql": "CREATE TABLE items (id int);\n" });
    let r = await p.run("prod", "deploy", "--plan");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("downtime  needs downtime");
    expect(r.stdout).toMatch(/implicit/i);
    r = await p.run("prod", "deploy", "--downtime");
    expect(r.code, r.stderr).toBe(0);
    expect(p.sql("SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'items'")).toBe("1");
  }, 60_000);
});
