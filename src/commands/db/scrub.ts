/**
 * Scrubbing a QA clone: the SQL that replaces personal data after a restore, and the shell lines
 * that run it and the checks on the database host. Identifiers go through `ident`, values through
 * `literal`, shell text through `shq`: a rule's table, column or value cannot break out of its quote.
 */
import type { Database, ScrubRule } from "../../config/resolve-databases.js";
import { shq } from "../quote.js";
import { cmd, type ScriptCommand } from "../script.js";
import { client, ident, literal, query, withCredentials } from "./client.js";

type Engine = Pick<Database, "engine">;

/** Fixed values of the simple rules (documented in the schema). */
export const SCRUB_PHONE = "+15550100";
export const SCRUB_NAME = "Test User";
export const SCRUB_EMAIL_DOMAIN = "example.invalid";
/** The row counter that makes every scrubbed address unique (a temporary sequence / a session variable). */
const COUNTER = "slipway_scrub_n";

/** `table.column` → its two parts (the schema allows exactly one dot). */
export function splitColumn(key: string): { table: string; column: string } {
  const i = key.lastIndexOf(".");
  if (i <= 0 || i === key.length - 1) throw new Error(`expected table.column, got ${JSON.stringify(key)}`);
  return { table: key.slice(0, i), column: key.slice(i + 1) };
}

/**
 * The UPDATE for one column rule. email: `user<n>@example.invalid` where n counts the rows, so
 * every row gets its own address even when old values repeat (a UNIQUE index stays satisfied);
 * email, phone and name leave NULLs NULL (nothing personal there); null and {set} touch every row.
 */
export function columnUpdate(db: Engine, key: string, rule: ScrubRule): string {
  const { table, column } = splitColumn(key);
  const t = ident(db, table);
  const c = ident(db, column);
  const notNull = ` WHERE ${c} IS NOT NULL`;
  if (rule === "email") {
    const n = db.engine === "postgres" ? `nextval('${COUNTER}')` : `(@${COUNTER} := @${COUNTER} + 1)`;
    const value =
      db.engine === "postgres"
        ? `'user' || ${n} || ${literal(db, `@${SCRUB_EMAIL_DOMAIN}`)}`
        : `CONCAT('user', ${n}, ${literal(db, `@${SCRUB_EMAIL_DOMAIN}`)})`;
    return `UPDATE ${t} SET ${c} = ${value}${notNull}`;
  }
  if (rule === "phone") return `UPDATE ${t} SET ${c} = ${literal(db, SCRUB_PHONE)}${notNull}`;
  if (rule === "name") return `UPDATE ${t} SET ${c} = ${literal(db, SCRUB_NAME)}${notNull}`;
  if (rule === "null") return `UPDATE ${t} SET ${c} = NULL`;
  return `UPDATE ${t} SET ${c} = ${literal(db, rule.set)}`;
}

/** A statement as the client reads it: one trailing `;`. */
const terminated = (s: string) => (/;\s*$/.test(s) ? s.trimEnd() : `${s.trimEnd()};`);

/**
 * The whole scrub as one SQL text: the configured statements, then the column rules, in one
 * transaction (PostgreSQL: all or nothing; MySQL: DDL in `scrub` commits implicitly, DML is atomic).
 */
export function scrubSql(db: Engine, scrub: string[], columns: Record<string, ScrubRule>): string {
  const updates = Object.entries(columns).map(([k, r]) => columnUpdate(db, k, r));
  const needsCounter = Object.values(columns).includes("email");
  const lines = [db.engine === "postgres" ? "BEGIN;" : "START TRANSACTION;"];
  if (needsCounter) lines.push(db.engine === "postgres" ? `CREATE TEMPORARY SEQUENCE ${COUNTER};` : `SET @${COUNTER} := 0;`);
  lines.push(...scrub.map(terminated), ...updates.map(terminated));
  if (needsCounter && db.engine === "postgres") lines.push(`DROP SEQUENCE ${COUNTER};`);
  lines.push("COMMIT;");
  return `${lines.join("\n")}\n`;
}

/** Run `sql` against the database: fed on the client's stdin by the shell's printf builtin (no argv). */
export function runSql(db: Database, sql: string, name = db.name, display = `run SQL on ${name}`): ScriptCommand {
  return cmd(withCredentials(db, `printf '%s' ${shq(sql)} | ${client(db, "sql", name)}`), display);
}

/**
 * Check `index`: a `C<TAB>index` line, then each row of the query as `R<TAB>row` (tab-separated
 * columns); no R lines means the check passed. A failing query fails the command (pipefail).
 */
export function checkQuery(db: Database, sql: string, index: number, name = db.name): ScriptCommand {
  const rows = `${query(db, sql, name)} | while IFS= read -r __l || [ -n "$__l" ]; do printf 'R\\t%s\\n' "$__l"; done`;
  return cmd(withCredentials(db, `printf 'C\\t%s\\n' ${index}\n${rows}`), `check ${index + 1}: ${sql}`);
}
