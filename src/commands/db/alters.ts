/**
 * Builders for tracked SQL alters: the schema history table (create, read), one PostgreSQL file
 * in one transaction with its history row, and MySQL statements run one at a time in one session
 * with the row's progress updated after each. Each returns a shell body to run inside
 * `withCredentials` (so the pass file exists); alter SQL travels inside the script on stdin
 * (`printf` is a builtin: no argv), never on a command line.
 */
import type { Database } from "../../config/resolve.js";
import { shq } from "../quote.js";
import { client, ident, literal, query } from "./client.js";

export const DEFAULT_HISTORY_TABLE = "slipway_schema_history";

/** What a builder needs of an alter file (plan/alters.ts AlterFile). */
export interface AlterText {
  name: string;
  checksum: string;
  sql: string;
}

/** Who and which release an apply records. */
export interface AppliedBy {
  by: string;
  release?: string;
}

const tableName = (db: Database) => db.alters?.table ?? DEFAULT_HISTORY_TABLE;

/** The history table's name as SQL (qualified by the database on mysql, so a file's `USE` cannot move it). */
export function historyTable(db: Database): string {
  return db.engine === "mysql" ? `${ident(db, db.name)}.${ident(db, tableName(db))}` : ident(db, tableName(db));
}

export function createHistorySql(db: Database): string {
  const t = historyTable(db);
  if (db.engine === "postgres")
    return `SET client_min_messages = warning; CREATE TABLE IF NOT EXISTS ${t} (name text PRIMARY KEY, checksum char(64) NOT NULL, applied_by text NOT NULL, applied_at timestamptz NOT NULL, duration_ms bigint NOT NULL, release_id text, statements_done integer, statements_total integer, complete boolean NOT NULL)`;
  return `CREATE TABLE IF NOT EXISTS ${t} (name VARCHAR(255) NOT NULL PRIMARY KEY, checksum CHAR(64) NOT NULL, applied_by VARCHAR(255) NOT NULL, applied_at DATETIME NOT NULL, duration_ms BIGINT NOT NULL DEFAULT 0, release_id VARCHAR(128) NULL, statements_done INT NOT NULL DEFAULT 0, statements_total INT NOT NULL, complete TINYINT(1) NOT NULL DEFAULT 0) ENGINE=InnoDB`;
}

/** The rows in plan/alters-input.ts HISTORY_COLUMNS order, tab-separated, NULLs as empty fields. */
export function selectHistorySql(db: Database): string {
  const t = historyTable(db);
  if (db.engine === "postgres")
    return `SELECT name, checksum, applied_by, to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), duration_ms, CASE WHEN complete THEN 1 ELSE 0 END, COALESCE(statements_done::text, ''), COALESCE(statements_total::text, ''), COALESCE(release_id, '') FROM ${t} ORDER BY name`;
  return `SELECT name, checksum, applied_by, DATE_FORMAT(applied_at, '%Y-%m-%dT%H:%i:%sZ'), duration_ms, complete, COALESCE(statements_done, ''), COALESCE(statements_total, ''), COALESCE(release_id, '') FROM ${t} ORDER BY name`;
}

function existsSql(db: Database): string {
  if (db.engine === "postgres") return `SELECT CASE WHEN to_regclass(${literal(db, ident(db, tableName(db)))}) IS NULL THEN 0 ELSE 1 END`;
  return `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ${literal(db, db.name)} AND table_name = ${literal(db, tableName(db))}`;
}

/**
 * Print `TABLE` or `NOTABLE`, then the history rows (parsed by plan/alters-input.ts).
 * `create`: create the table first when it is missing (apply only; status never writes).
 */
export function readHistory(db: Database, create = false): string {
  return [
    ...(create ? [`${query(db, createHistorySql(db))} </dev/null >/dev/null || exit 1`] : []),
    `__t=$(${query(db, existsSql(db))} </dev/null) || exit 1`,
    `if [ "$__t" = 1 ]; then echo TABLE; ${query(db, selectHistorySql(db))} </dev/null || exit 1; else echo NOTABLE; fi`,
  ].join("\n");
}

const rel = (db: Database, who: AppliedBy) => (who.release ? literal(db, who.release) : "NULL");

/**
 * One PostgreSQL file and its history row in ONE transaction (psql --single-transaction,
 * ON_ERROR_STOP): a failure half-way leaves the schema unchanged and nothing recorded. The
 * file comes first on stdin (`-f -`: psql then names `<stdin>:LINE` in an error), so the line is the file's.
 */
export function applyPgFile(db: Database, file: AlterText, statements: number, who: AppliedBy): string {
  const insert = `INSERT INTO ${historyTable(db)} (name, checksum, applied_by, applied_at, duration_ms, release_id, statements_done, statements_total, complete) VALUES (${literal(db, file.name)}, ${literal(db, file.checksum)}, ${literal(db, who.by)}, now(), (extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint, ${rel(db, who)}, ${statements}, ${statements}, true);`;
  // The newline closes a last `--` comment; `;` ends a last statement without one; the file's own
  // search_path change must not move the history row.
  const input = `${file.sql}\n;\nRESET search_path;\n${insert}\n`;
  return `printf '%s' ${shq(input)} | ${client(db, "sql", db.name, ["--single-transaction", "-f", "-"])} >/dev/null`;
}

/** A mysql client delimiter that occurs in none of the statements. */
export function pickDelimiter(statements: string[]): string {
  for (let n = 0; ; n++) {
    const d = `$$slipway${n || ""}$$`;
    if (!statements.some((s) => s.includes(d))) return d;
  }
}

/** Statement k (1-based) of a mysql file, then its progress: statements_done = k, duration added. */
export function mysqlStatementStep(db: Database, name: string, k: number, total: number, statement: string, delim: string): string {
  return [
    `SET @slipway_t = NOW(6)${delim}`,
    `${statement}\n${delim}`,
    `UPDATE ${historyTable(db)} SET statements_done = ${k}, complete = ${k === total ? 1 : 0}, duration_ms = duration_ms + (TIMESTAMPDIFF(MICROSECOND, @slipway_t, NOW(6)) DIV 1000) WHERE name = ${literal(db, name)}${delim}`,
  ].join("\n");
}

/**
 * MySQL/MariaDB: statements `from`+1..total of a file in one client session (a file's SET and
 * session state carry over), one at a time: the client stops at the first error, so the row's
 * statements_done says exactly how far it got. `fresh`: insert the row first (statements_done 0).
 * Afterwards, whatever happened, prints `slipway-progress <statements_done>` and exits with the
 * client's status. --binary-mode: no client `\` commands inside statements.
 */
export function applyMysqlStatements(db: Database, file: AlterText, statements: string[], from: number, fresh: boolean, who: AppliedBy): string {
  const total = statements.length;
  const delim = pickDelimiter(statements);
  const parts: string[] = [];
  if (fresh)
    parts.push(
      `INSERT INTO ${historyTable(db)} (name, checksum, applied_by, applied_at, duration_ms, release_id, statements_done, statements_total, complete) VALUES (${literal(db, file.name)}, ${literal(db, file.checksum)}, ${literal(db, who.by)}, UTC_TIMESTAMP(), 0, ${rel(db, who)}, 0, ${total}, ${total === 0 ? 1 : 0});`,
    );
  parts.push(`DELIMITER ${delim}`);
  for (let k = from + 1; k <= total; k++) parts.push(mysqlStatementStep(db, file.name, k, total, statements[k - 1]!, delim));
  const input = `${parts.join("\n")}\n`;
  const progress = `SELECT statements_done FROM ${historyTable(db)} WHERE name = ${literal(db, file.name)}`;
  return [
    `__rc=0`,
    `printf '%s' ${shq(input)} | ${client(db, "sql", db.name, ["--binary-mode"])} >/dev/null || __rc=$?`,
    `__d=$(${query(db, progress)} </dev/null 2>/dev/null)`,
    `printf 'slipway-progress %s\\n' "$__d"`,
    `exit $__rc`,
  ].join("\n");
}
