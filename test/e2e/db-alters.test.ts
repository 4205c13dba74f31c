/**
 * `db alters status|apply` through the built CLI: a real sshd host db1 (roles [db]) runs psql /
 * mysql against throwaway PostgreSQL and MariaDB servers; the alter files come from a `dir` source.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DbServer, type Engine, HOSTILE_PASSWORD, SKIP_DB, startDb } from "../dbservers.js";
import { Fleet, SKIP_FLEET } from "../fleet.js";
import { type CliResult, cli, Repo, tmpdir } from "../helpers.js";

const SKIP = SKIP_FLEET || SKIP_DB;
let fleet: Fleet;
const servers: Partial<Record<Engine, DbServer>> = {};

beforeAll(async () => {
  if (SKIP) return;
  [fleet, servers.postgres, servers.mysql] = await Promise.all([Fleet.start(["db1"]), startDb("postgres"), startDb("mysql")]);
}, 120_000);
afterAll(() => {
  fleet?.stop();
  servers.postgres?.stop();
  servers.mysql?.stop();
});

const PWNED = "/tmp/slipway-alter-pwned";
let seq = 0;

/** A project with a dir source holding db/alters, and its own database on the engine's server. */
function project(engine: Engine) {
  const srv = servers[engine]!;
  const dbName = `alt${++seq}`;
  srv.sql(engine === "postgres" ? `CREATE DATABASE ${dbName} OWNER app;` : `CREATE DATABASE ${dbName};`);
  const dir = tmpdir();
  const alters = path.join(dir, "src", "db", "alters");
  mkdirSync(alters, { recursive: true });
  writeFileSync(path.join(dir, "src", "README"), "app\n");
  writeFileSync(
    path.join(dir, "slipway.yml"),
    `app: alt${seq}
source: { dir: ./src }
secret_env: [DB_PASSWORD]
environments:
  prod:
    hosts:
      - { name: db1, address: db1, roles: [db] }
    databases:
      main:
        engine: ${engine}
        port: ${srv.port}
        name: ${dbName}
        user: app
        password_secret: DB_PASSWORD
        alters: { dir: db/alters }
`,
  );
  const run = (...args: string[]): CliResult => cli(["prod", "db", "alters", ...args], { cwd: dir, env: { ...fleet.env, DB_PASSWORD: HOSTILE_PASSWORD } });
  const put = (name: string, sql: string) => writeFileSync(path.join(alters, name), sql);
  const sql = (q: string) => srv.sql(q, dbName);
  const history = () =>
    sql("SELECT name, checksum, applied_by, applied_at IS NOT NULL, statements_done, statements_total, complete FROM slipway_schema_history ORDER BY name")
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split("\t"));
  const tables = () =>
    sql(`SELECT table_name FROM information_schema.tables WHERE table_schema = ${engine === "postgres" ? "'public'" : `'${dbName}'`} ORDER BY table_name`)
      .trim()
      .split("\n")
      .filter(Boolean);
  return { dir, run, put, sql, history, tables, dbName };
}

const sha256 = async (s: string) => (await import("node:crypto")).createHash("sha256").update(s).digest("hex");
const HOSTILE_VALUE = '$(touch /tmp/slipway-alter-pwned) "dq" ; `bt` it\'s';
const HOSTILE_SQL = `INSERT INTO notes (body) VALUES ('$(touch /tmp/slipway-alter-pwned) "dq" ; \`bt\` it''s'); -- $(touch ${PWNED}) ;`;

describe.skipIf(SKIP).each(["postgres", "mysql"] as const)("db alters on %s", (engine) => {
  it("applies pending files with history rows; a re-run applies nothing; a new file applies alone; status --json; hostile content verbatim", async () => {
    rmSync(PWNED, { force: true });
    const p = project(engine);
    const one = "CREATE TABLE notes (id int, body text);\n";
    p.put("0001_notes.sql", one);
    p.put("0002_hostile.sql", `${HOSTILE_SQL}\n`);
    p.put("README.md", "not an alter\n");

    let r = p.run("status", "--json");
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.pending.map((f: { name: string }) => f.name)).toEqual(["0001_notes.sql", "0002_hostile.sql"]);
    expect(j.pending[0]).toMatchObject({ checksum: await sha256(one), statements: 1 });
    expect(j.applied).toEqual([]);
    expect(j.classification.needsDowntime).toBe(engine === "mysql"); // CREATE TABLE is DDL on mysql
    expect(p.tables()).toEqual([]); // status writes nothing, not even the history table

    r = p.run("apply");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("applied 2 alter(s) to main: 0001_notes.sql, 0002_hostile.sql");
    const rows = p.history();
    expect(rows.map((x) => x[0])).toEqual(["0001_notes.sql", "0002_hostile.sql"]);
    expect(rows[0]![1]).toBe(await sha256(one));
    expect(rows[0]![2]).toMatch(/^\S+@\S+$/);
    expect(p.sql("SELECT body FROM notes").trim()).toBe(HOSTILE_VALUE);
    expect(existsSync(PWNED)).toBe(false);

    r = p.run("status");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/0001_notes\.sql\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+by \S+@\S+\s+\d+ ms/);
    expect(r.stdout).toContain(`alters (main, ${engine}): 0 pending, 2 applied`);

    r = p.run("apply");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("main: no pending alters");
    expect(p.sql("SELECT count(*) FROM notes").trim()).toBe("1");

    p.put("0003_more.sql", "INSERT INTO notes (id) VALUES (3);");
    expect(JSON.parse(p.run("status", "--json").stdout).pending.map((f: { name: string }) => f.name)).toEqual(["0003_more.sql"]);
    r = p.run("apply");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("applied 1 alter(s) to main: 0003_more.sql");
    expect(p.sql("SELECT count(*) FROM notes").trim()).toBe("2");
  });

  it("a changed applied file is refused with nothing applied (and status exits 1 naming it)", () => {
    const p = project(engine);
    p.put("0001_a.sql", "CREATE TABLE a (x int);");
    expect(p.run("apply").code).toBe(0);
    p.put("0001_a.sql", "CREATE TABLE a (x bigint);");
    p.put("0002_b.sql", "CREATE TABLE b (x int);");
    let r = p.run("apply");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /alter 0001_a\.sql was changed after it was applied on \d{4}-\d\d-\d\dT\S+Z by \S+: applied sha256 [0-9a-f]{16}…, now [0-9a-f]{16}…/,
    );
    expect(r.stderr).toContain("nothing was applied");
    expect(p.tables()).toEqual(["a", "slipway_schema_history"]);
    r = p.run("status");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("CHANGED  alter 0001_a.sql was changed");
  });

  if (engine === "postgres")
    it("a file whose 2nd statement fails leaves the schema unchanged and records nothing; exit 1 names the file", () => {
      const p = project(engine);
      p.put("0001_ok.sql", "CREATE TABLE ok (x int);");
      p.put("0002_bad.sql", "CREATE TABLE half (x int);\nINSERT INTO missing VALUES (1);\nCREATE TABLE never (x int);\n");
      const r = p.run("apply");
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("alter 0002_bad.sql failed on db1: statement 2 of 3 failed (line 2) `INSERT INTO missing VALUES (1)`");
      expect(r.stderr).toMatch(/relation "missing" does not exist/);
      expect(r.stderr).toContain("applied before it: 0001_ok.sql");
      expect(p.tables()).toEqual(["ok", "slipway_schema_history"]);
      expect(p.history().map((x) => x[0])).toEqual(["0001_ok.sql"]);
    });

  if (engine === "mysql")
    it("a file with 3 statements whose 2nd fails: statement 1 applied, 2 failed, 3 not run; the re-run continues at 2 without re-applying 1", () => {
      const p = project(engine);
      p.put("0001_t.sql", "CREATE TABLE t (x int);");
      p.put("0002_three.sql", "INSERT INTO t VALUES (1);\nINSERT INTO later SELECT x FROM t;\nCREATE TABLE done3 (x int);\n");
      let r = p.run("apply");
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("alter 0002_three.sql failed on db1 (mysql: DDL commits implicitly");
      expect(r.stderr).toContain("applied  1 (line 1) `INSERT INTO t VALUES (1)`");
      expect(r.stderr).toMatch(/FAILED {3}2 \(line 2\) `INSERT INTO later SELECT x FROM t`: ERROR 1146 \(42S02\): Table '\w+\.later' doesn't exist/);
      expect(r.stderr).toContain("not run  3 (line 3) `CREATE TABLE done3 (x int)`");
      expect(r.stderr).toContain("it continues at statement 2");
      expect(p.history().find((x) => x[0] === "0002_three.sql")).toEqual(["0002_three.sql", expect.any(String), expect.any(String), "1", "1", "3", "0"]);
      r = p.run("status");
      expect(r.stdout).toContain("partial  0002_three.sql: 1 of 3 statements applied; continues at statement 2");

      // Fix the condition, not the file (its checksum must still match).
      p.sql("CREATE TABLE later (x int);");
      r = p.run("apply");
      expect(r.code, r.stderr).toBe(0);
      expect(p.sql("SELECT count(*) FROM t").trim()).toBe("1"); // the INSERT of statement 1 ran once
      expect(p.sql("SELECT count(*) FROM later").trim()).toBe("1");
      expect(p.tables()).toContain("done3");
      expect(p.history().find((x) => x[0] === "0002_three.sql")).toEqual(["0002_three.sql", expect.any(String), expect.any(String), "1", "3", "3", "1"]);
    });
});

describe.skipIf(SKIP)("db alters from a git source", () => {
  it("reads the files at the ref's commit (git ls-tree/cat-file), not the work tree; a bad file name is refused", () => {
    const p = project("postgres");
    const repo = new Repo(path.join(p.dir, "repo"));
    const first = repo.commit({ "db/alters/0001_a.sql": "CREATE TABLE a (x int);" });
    repo.commit({ "db/alters/0002_b.sql": "CREATE TABLE b (x int);" });
    writeFileSync(path.join(repo.dir, "db/alters/0003_uncommitted.sql"), "CREATE TABLE c (x int);");
    const cfg = path.join(p.dir, "slipway.yml");
    writeFileSync(cfg, readFileSync(cfg, "utf8").replace("source: { dir: ./src }", "source: { git: ./repo, ref: main }"));
    const names = (r: CliResult) => JSON.parse(r.stdout).pending.map((f: { name: string }) => f.name);
    expect(names(p.run("status", "--json", "--ref", first))).toEqual(["0001_a.sql"]);
    expect(names(p.run("status", "--json"))).toEqual(["0001_a.sql", "0002_b.sql"]);
    let r = p.run("apply", "--ref", first);
    expect(r.code, r.stderr).toBe(0);
    expect(p.tables()).toEqual(["a", "slipway_schema_history"]);
    repo.commit({ "db/alters/bad name.sql": "SELECT 1;" });
    r = p.run("apply");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('holds SQL files Slipway will not run: "bad name.sql"');
    expect(p.tables()).toEqual(["a", "slipway_schema_history"]);
  });
});
