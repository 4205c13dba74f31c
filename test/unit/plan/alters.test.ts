import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { type AlterFile, type AppliedAlter, classifyAlters, formatAlters, planAlters, scanSql, splitStatements } from "../../../src/plan/alters.js";
import { parseAltersHistory } from "../../../src/plan/alters-input.js";
import { fakeDb } from "./alters-fixture.js";

const file = (name: string, sql: string): AlterFile => ({ name, sql, checksum: createHash("sha256").update(sql).digest("hex") });
const applied = (f: AlterFile, extra: Partial<AppliedAlter> = {}): AppliedAlter => ({
  name: f.name,
  checksum: f.checksum,
  by: "ada@ctl",
  at: "2026-01-02T03:04:05Z",
  durationMs: 12,
  complete: true,
  ...extra,
});

describe("splitStatements", () => {
  it("splits on ; outside quotes and comments, keeping quoted ; and escapes", () => {
    const sql = `CREATE TABLE a (x text DEFAULT 'a;b''c');
INSERT INTO a VALUES ("q;\\"x"), ('it\\'s;');
-- a comment; not a statement
SELECT \`we;ird\` FROM a; /* block ; comment */ SELECT 2;
# hash comment ;
SELECT 3`;
    expect(splitStatements(sql)).toEqual([
      "CREATE TABLE a (x text DEFAULT 'a;b''c')",
      `INSERT INTO a VALUES ("q;\\"x"), ('it\\'s;')`,
      "SELECT `we;ird` FROM a",
      "SELECT 2",
      "SELECT 3",
    ]);
  });

  it("keeps mysql executable comments, and comments inside or after a statement", () => {
    expect(splitStatements("/*!40101 SET NAMES utf8 */;\nSELECT /* ; */ 1 -- one;\n;")).toEqual(["/*!40101 SET NAMES utf8 */", "SELECT /* ; */ 1 -- one;"]);
  });

  it("honours DELIMITER lines (not part of any statement) and drops comment-only pieces", () => {
    const sql = `DROP PROCEDURE IF EXISTS p;
DELIMITER //
CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END //
delimiter ;
CALL p();
-- trailing comment only`;
    expect(splitStatements(sql)).toEqual(["DROP PROCEDURE IF EXISTS p", "CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END", "CALL p()"]);
  });

  it("mysql `--` needs a space after it; postgres dollar quotes and E'' strings", () => {
    expect(splitStatements("SELECT 1--1; SELECT 2")).toEqual(["SELECT 1--1", "SELECT 2"]);
    const pg = `CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;
DO $body$ BEGIN PERFORM 1; END $body$;
SELECT E'a\\';b';
SELECT 'a\\'; SELECT 3`;
    expect(splitStatements(pg, "postgres")).toEqual([
      "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql",
      "DO $body$ BEGIN PERFORM 1; END $body$",
      "SELECT E'a\\';b'",
      "SELECT 'a\\'",
      "SELECT 3",
    ]);
  });

  it("reports statement lines and an unterminated quote or comment", () => {
    const s = scanSql("\n\nSELECT 1;\n  -- c\n  SELECT\n 2;");
    expect(s.statements.map((x) => x.line)).toEqual([3, 5]);
    expect(scanSql("SELECT 1; SELECT 'oops").unterminated).toEqual({ what: "quote '", line: 1 });
    expect(scanSql("SELECT 1;\n/* never closed", "postgres").unterminated).toEqual({ what: "comment /*", line: 2 });
  });
});

describe("planAlters", () => {
  const a = file("0001_a.sql", "CREATE TABLE a (x int);");
  const b = file("0002_b.sql", "CREATE TABLE b (x int); INSERT INTO b VALUES (1); CREATE TABLE c (x int);");
  const c = file("0003_c.sql", "SELECT 1;");

  it("pending are the unapplied files in name order; applied ones are skipped", () => {
    const st = planAlters(fakeDb("postgres"), [c, a, b], [applied(a)]);
    expect(st.pending.map((f) => f.name)).toEqual(["0002_b.sql", "0003_c.sql"]);
    expect(st.changed).toEqual([]);
    expect(st.errors).toEqual([]);
    expect(formatAlters(st)).toContain("pending  0002_b.sql (3 statements)");
    expect(formatAlters(st)).toContain("postgres: each file runs in one transaction");
  });

  it("a changed applied file is reported with when, who and both checksums", () => {
    const changed = { ...a, sql: "x", checksum: "f".repeat(64) };
    const st = planAlters(fakeDb("postgres"), [changed], [applied(a)]);
    expect(st.pending).toEqual([]);
    expect(st.changed).toHaveLength(1);
    expect(formatAlters(st)).toContain(
      `alter 0001_a.sql was changed after it was applied on 2026-01-02T03:04:05Z by ada@ctl: applied sha256 ${a.checksum.slice(0, 16)}…, now ffffffffffffffff…`,
    );
  });

  it("a half-applied mysql file is partial and still pending; a recorded file that is gone is missing (warning)", () => {
    const gone = file("0000_gone.sql", "SELECT 1");
    const st = planAlters(fakeDb("mysql"), [a, b], [applied(a), applied(b, { complete: false, statementsDone: 1, statementsTotal: 3 }), applied(gone)]);
    expect(st.partial).toEqual([{ name: "0002_b.sql", done: 1, total: 3 }]);
    expect(st.pending.map((f) => f.name)).toEqual(["0002_b.sql"]);
    expect(st.missing).toEqual(["0000_gone.sql"]);
    expect(st.warnings.join("\n")).toContain("0000_gone.sql was applied on 2026-01-02T03:04:05Z by ada@ctl but is not in db/alters");
    const text = formatAlters(st);
    expect(text).toContain("partial  0002_b.sql: 1 of 3 statements applied; continues at statement 2");
    expect(text).toContain("mysql: DDL commits implicitly, so statements run and are recorded one at a time");
  });

  it("errors stop apply: a partial row whose count no longer matches, an unterminated file, unreadable rows", () => {
    const st = planAlters(
      fakeDb("mysql"),
      [b, file("0004_bad.sql", "SELECT 'x")],
      [applied(b, { complete: false, statementsDone: 1, statementsTotal: 2 })],
      ["history row 3 is unreadable"],
    );
    expect(st.errors).toEqual([
      "history row 3 is unreadable",
      expect.stringContaining("0002_b.sql: 1 of 2 statements were applied, but the file now splits into 3"),
      "alter 0004_bad.sql: unterminated quote ' from line 1 to the end of the file",
    ]);
  });

  it("warns about a pending file sorting before an applied one, and postgres transaction control", () => {
    const st = planAlters(fakeDb("postgres"), [a, b, file("0005_t.sql", "BEGIN;\nCREATE INDEX CONCURRENTLY i ON a (x);\nCOMMIT;")], [applied(b)]);
    expect(st.warnings.join("\n")).toContain("0001_a.sql is pending but sorts before 0002_b.sql");
    expect(st.warnings.join("\n")).toContain("0005_t.sql line 1: `BEGIN`");
    expect(st.warnings.join("\n")).toContain("0005_t.sql line 2: `CREATE INDEX CONCURRENTLY i ON a (x)` cannot run inside");
  });
});

describe("classifyAlters", () => {
  it("nothing needs downtime on postgres for additive changes", () => {
    const r = classifyAlters(fakeDb("postgres"), [
      file("1.sql", "CREATE TABLE t (x int);\nALTER TABLE t ADD COLUMN y int;\nINSERT INTO t VALUES ('DROP TABLE t');"),
    ]);
    expect(r).toEqual({ needsDowntime: false, reasons: [] });
  });

  it("destructive statements on any engine, naming file and statement", () => {
    const f = file(
      "0042_x.sql",
      `DROP TABLE old;
ALTER TABLE t DROP COLUMN c;
ALTER TABLE t RENAME TO u;
ALTER TABLE t ALTER COLUMN x TYPE bigint;
TRUNCATE t;
ALTER TABLE t ALTER COLUMN x DROP DEFAULT;`,
    );
    const r = classifyAlters(fakeDb("postgres"), [f]);
    expect(r.needsDowntime).toBe(true);
    expect(r.reasons).toHaveLength(5);
    expect(r.reasons[0]).toBe(
      "0042_x.sql statement 1 (line 1) `DROP TABLE old`: DROP TABLE is destructive: the running code may still use what it removes or changes",
    );
    expect(r.reasons[1]).toContain("statement 2 (line 2) `ALTER TABLE t DROP COLUMN c`: ALTER … DROP COLUMN");
    expect(r.reasons[2]).toContain("statement 3 (line 3) `ALTER TABLE t RENAME TO u`: RENAME");
    expect(r.reasons[3]).toContain("ALTER … TYPE");
    expect(r.reasons[4]).toContain("TRUNCATE");
  });

  it("the downtime marker; mysql DDL when mysql_ddl; zero-downtime waives DDL but never a destructive statement", () => {
    expect(classifyAlters(fakeDb("postgres"), [file("m.sql", "-- slipway: downtime\nUPDATE t SET x = 1;")]).reasons).toEqual([
      'm.sql: marked "-- slipway: downtime"',
    ]);
    const ddl = file("d.sql", "CREATE INDEX i ON t (x);");
    expect(classifyAlters(fakeDb("mysql"), [ddl]).reasons[0]).toContain("d.sql statement 1 (line 1) `CREATE INDEX i ON t (x)`: DDL on mysql");
    expect(classifyAlters(fakeDb("mysql", false), [ddl]).needsDowntime).toBe(false);
    const zero = file("z.sql", "-- slipway: zero-downtime\nCREATE INDEX i ON t (x);");
    expect(classifyAlters(fakeDb("mysql"), [zero])).toEqual({ needsDowntime: false, reasons: [] });
    const zeroDrop = file("zd.sql", "-- slipway: zero-downtime\nALTER TABLE t DROP COLUMN c;");
    const r = classifyAlters(fakeDb("mysql"), [zeroDrop]);
    expect(r.needsDowntime).toBe(true);
    expect(r.reasons[0]).toContain('its "-- slipway: zero-downtime" marker cannot waive a destructive statement');
    expect(r.reasons[0]).toContain("zd.sql statement 1 (line 2)");
  });
});

describe("parseAltersHistory", () => {
  const sum = "a".repeat(64);
  it("reads rows strictly; a malformed row is a problem, never a row", () => {
    const out = `TABLE
0001_a.sql\t${sum}\tada@ctl\t2026-01-02T03:04:05Z\t12\t1\t3\t3\t20260102-030405-abc1234
0002_b.sql\t${sum}\tada@ctl\t2026-01-02T03:04:05Z\t0\t0\t1\t3\t
../etc.sql\t${sum}\tada@ctl\t2026-01-02T03:04:05Z\t0\t1\t\t\t
0003.sql\tnothex\tx\ty
`;
    const r = parseAltersHistory(out);
    expect(r.table).toBe(true);
    expect(r.applied).toEqual([
      {
        name: "0001_a.sql",
        checksum: sum,
        by: "ada@ctl",
        at: "2026-01-02T03:04:05Z",
        durationMs: 12,
        complete: true,
        statementsDone: 3,
        statementsTotal: 3,
        release: "20260102-030405-abc1234",
      },
      { name: "0002_b.sql", checksum: sum, by: "ada@ctl", at: "2026-01-02T03:04:05Z", durationMs: 0, complete: false, statementsDone: 1, statementsTotal: 3 },
    ]);
    expect(r.problems).toHaveLength(2);
    expect(r.problems[0]).toContain("history row 3 is unreadable (name)");
    expect(r.problems[1]).toContain("4 fields, expected 9");
  });
  it("no table: nothing applied; garbage: a problem", () => {
    expect(parseAltersHistory("NOTABLE\n")).toEqual({ table: false, applied: [], problems: [] });
    expect(parseAltersHistory("psql: error\n").problems[0]).toContain("unexpected answer");
  });
});
