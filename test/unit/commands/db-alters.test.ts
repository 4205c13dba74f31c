import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { applyMysqlStatements, applyPgFile, historyTable, pickDelimiter, readHistory } from "../../../src/commands/db/alters.js";
import { withCredentials } from "../../../src/commands/db/client.js";
import { parseProgress } from "../../../src/plan/alters-input.js";
import { fakeDb } from "../plan/alters-fixture.js";

const HOSTILE = `INSERT INTO t VALUES ('$(touch /tmp/slipway-pwned)', "\`id\`", 'a\\'b'); -- ;'"\n`;

/** A bin dir whose psql/mysql record argv and stdin, then exit with $FAKE_RC. */
const bin = mkdtempSync(path.join(os.tmpdir(), "slipway-fakedb-"));
for (const tool of ["psql", "mysql"])
  writeFileSync(
    path.join(bin, tool),
    `#!/bin/bash\nprintf '%s\\n' "$@" >> "${bin}/${tool}.argv"\ncat >> "${bin}/${tool}.stdin"\necho 3\nexit \${FAKE_RC:-0}\n`,
    { mode: 0o755 },
  );
chmodSync(bin, 0o755);
afterAll(() => rmSync(bin, { recursive: true, force: true }));

function runScript(script: string, rc = 0): { stdout: string; argv: string; stdin: string; code: number } {
  for (const f of ["psql.argv", "psql.stdin", "mysql.argv", "mysql.stdin"]) writeFileSync(path.join(bin, f), "");
  let stdout = "";
  let code = 0;
  try {
    stdout = execFileSync("bash", ["-s"], {
      input: script,
      encoding: "utf8",
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, FAKE_RC: String(rc) },
    });
  } catch (e) {
    const err = e as { status: number; stdout: string };
    code = err.status;
    stdout = err.stdout;
  }
  const read = (f: string) => readFileSync(path.join(bin, f), "utf8");
  return { stdout, code, argv: read("psql.argv") + read("mysql.argv"), stdin: read("psql.stdin") + read("mysql.stdin") };
}

const file = { name: "0042_x.sql", checksum: "c".repeat(64), sql: HOSTILE };

describe("alters builders", () => {
  it("the history table is qualified by the database on mysql only", () => {
    expect(historyTable(fakeDb("postgres"))).toBe('"slipway_schema_history"');
    expect(historyTable(fakeDb("mysql"))).toBe("`appdb`.`slipway_schema_history`");
  });

  it("readHistory creates the table only when asked, and prints TABLE/NOTABLE first", () => {
    const db = fakeDb("postgres");
    expect(readHistory(db)).not.toContain("CREATE TABLE");
    expect(readHistory(db, true)).toContain("CREATE TABLE IF NOT EXISTS");
    const r = runScript(withCredentials(db, readHistory(db)));
    expect(r.stdout.split("\n")[0]).toBe("NOTABLE"); // the fake answers 3, not 1
    expect(r.argv).toContain(`to_regclass('"slipway_schema_history"')`);
  });

  it("postgres: the file then its history insert on stdin of one --single-transaction psql; nothing of it on argv", () => {
    const db = { ...fakeDb("postgres"), password: "s3cr3t:pw" };
    const r = runScript(withCredentials(db, applyPgFile(db, file, 1, { by: "o'neil@ctl", release: "20260101-000000-abc1234" })));
    expect(r.code).toBe(0);
    expect(r.stdin.startsWith(`${HOSTILE}\n;\nRESET search_path;\nINSERT INTO "slipway_schema_history"`)).toBe(true);
    expect(r.stdin).toContain(`VALUES ('0042_x.sql', '${"c".repeat(64)}', 'o''neil@ctl', now(),`);
    expect(r.stdin).toContain("'20260101-000000-abc1234', 1, 1, true);");
    expect(r.argv).toContain("--single-transaction");
    expect(r.argv).toContain("ON_ERROR_STOP=1");
    expect(r.argv).not.toContain("INSERT");
    expect(r.argv).not.toContain("s3cr3t");
  });

  it("mysql: statements one at a time with progress after each, in one session, then the progress line", () => {
    const db = fakeDb("mysql");
    const stmts = ["CREATE TABLE a (x int)", HOSTILE.trim(), "CREATE PROCEDURE p() BEGIN SELECT 1; END"];
    const r = runScript(withCredentials(db, applyMysqlStatements(db, file, stmts, 1, false, { by: "ada@ctl" })));
    expect(r.code).toBe(0);
    // resumed at statement 2: no insert, statement 1 is not sent again
    expect(r.stdin).not.toContain("INSERT INTO `appdb`");
    expect(r.stdin).not.toContain("CREATE TABLE a");
    expect(r.stdin).toContain(
      `DELIMITER $$slipway$$\nSET @slipway_t = NOW(6)$$slipway$$\n${HOSTILE.trim()}\n$$slipway$$\nUPDATE \`appdb\`.\`slipway_schema_history\` SET statements_done = 2, complete = 0,`,
    );
    expect(r.stdin).toContain(
      "CREATE PROCEDURE p() BEGIN SELECT 1; END\n$$slipway$$\nUPDATE `appdb`.`slipway_schema_history` SET statements_done = 3, complete = 1,",
    );
    expect(r.argv).toContain("--binary-mode");
    expect(r.argv).not.toContain("touch");
    expect(parseProgress(r.stdout)).toBe(3);
  });

  it("mysql: a fresh file inserts its row first; a failing client still prints progress and keeps its exit code", () => {
    const db = fakeDb("mysql");
    const r = runScript(withCredentials(db, applyMysqlStatements(db, file, ["SELECT 1"], 0, true, { by: "ada@ctl" })), 1);
    expect(r.code).toBe(1);
    expect(r.stdin).toMatch(
      /^INSERT INTO `appdb`.`slipway_schema_history` .* VALUES \('0042_x.sql', 'c{64}', 'ada@ctl', UTC_TIMESTAMP\(\), 0, NULL, 0, 1, 0\);\n/,
    );
    expect(parseProgress(r.stdout)).toBe(3);
    expect(parseProgress("slipway-progress \n")).toBeNull();
  });

  it("the delimiter never occurs in a statement", () => {
    expect(pickDelimiter(["SELECT 1"])).toBe("$$slipway$$");
    expect(pickDelimiter(["SELECT '$$slipway$$'"])).toBe("$$slipway1$$");
  });
});
