/**
 * Tracked SQL alters, the pure side: which files of `databases.<key>.alters.dir` are pending,
 * changed after they were applied, or half-applied (MySQL); whether they need downtime; how they
 * print; and the statement splitter MySQL files are run with (DDL commits implicitly there, so
 * each statement runs and is recorded on its own).
 */
import type { Database } from "../config/resolve.js";

/** An alter file as read from the source at the deploy's commit. */
export interface AlterFile {
  name: string;
  /** sha256 of the content, hex. */
  checksum: string;
  sql: string;
}

/** A row of the schema history table. */
export interface AppliedAlter {
  name: string;
  checksum: string;
  by: string;
  at: string;
  durationMs: number;
  complete: boolean;
  statementsDone?: number;
  statementsTotal?: number;
  /** The release that applied it (deploys), when known. */
  release?: string;
}

export interface AltersStatus {
  db: string;
  engine: "postgres" | "mysql";
  files: AlterFile[];
  applied: AppliedAlter[];
  /** Files still to run, in order (half-applied MySQL files included: they continue). */
  pending: AlterFile[];
  changed: { name: string; applied: AppliedAlter; now: string }[];
  partial: { name: string; done: number; total: number }[];
  missing: string[];
  warnings: string[];
  /** Problems that stop `apply` before anything runs (unreadable history rows, unterminated SQL). */
  errors: string[];
}

/** The only alter file names accepted (they reach SQL literals and history rows). */
export const ALTER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*\.sql$/;

export { type Engine, type SqlScan, type SqlStatement, firstLine, scanSql, splitStatements } from "./sql.js";
import { type Engine, firstLine, scanSql, splitStatements } from "./sql.js";

const short = (sum: string) => sum.slice(0, 16);

/** The error a changed applied file gets (deploys and `db alters apply` stop on it). */
export function changedMessage(c: AltersStatus["changed"][number]): string {
  return `alter ${c.name} was changed after it was applied on ${c.applied.at} by ${c.applied.by}: applied sha256 ${short(c.applied.checksum)}…, now ${short(c.now)}…`;
}

/**
 * Compare the files at the deploy's commit with the history table. `unreadable` are history rows
 * that could not be parsed: they stop apply (the file they record might otherwise run twice).
 */
export function planAlters(db: Database, files: AlterFile[], applied: AppliedAlter[], unreadable: string[] = []): AltersStatus {
  const byName = new Map(applied.map((a) => [a.name, a]));
  const names = new Set(files.map((f) => f.name));
  const status: AltersStatus = {
    db: db.key,
    engine: db.engine,
    files,
    applied,
    pending: [],
    changed: [],
    partial: [],
    missing: [],
    warnings: [],
    errors: [...unreadable],
  };
  const sorted = [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let lastApplied = "";
  for (const a of applied) if (a.complete && names.has(a.name) && a.name > lastApplied) lastApplied = a.name;
  for (const f of sorted) {
    const a = byName.get(f.name);
    if (a && a.checksum !== f.checksum) {
      status.changed.push({ name: f.name, applied: a, now: f.checksum });
      continue;
    }
    if (a?.complete) continue;
    const scan = scanSql(f.sql, db.engine);
    if (scan.unterminated)
      status.errors.push(`alter ${f.name}: unterminated ${scan.unterminated.what} from line ${scan.unterminated.line} to the end of the file`);
    if (a) {
      const total = a.statementsTotal ?? 0;
      if (total !== scan.statements.length)
        status.errors.push(
          `alter ${f.name}: ${a.statementsDone ?? 0} of ${total} statements were applied, but the file now splits into ${scan.statements.length}: finish it by hand, then correct its history row`,
        );
      status.partial.push({ name: f.name, done: a.statementsDone ?? 0, total });
    } else if (lastApplied && f.name < lastApplied) {
      status.warnings.push(`alter ${f.name} is pending but sorts before ${lastApplied}, which is applied: it runs now, after it`);
    }
    if (db.engine === "postgres") {
      const txn = scan.statements.find((s) => /^\s*(BEGIN|COMMIT|ROLLBACK|START\s+TRANSACTION|END)\b/i.test(s.code));
      if (txn)
        status.warnings.push(
          `alter ${f.name} line ${txn.line}: \`${firstLine(txn)}\`: each file already runs in one transaction with its history row; its own transaction control breaks that`,
        );
      const conc = scan.statements.find((s) => /\bCONCURRENTLY\b/i.test(s.code));
      if (conc) status.warnings.push(`alter ${f.name} line ${conc.line}: \`${firstLine(conc)}\` cannot run inside the file's transaction`);
    }
    status.pending.push(f);
  }
  for (const a of applied)
    if (!names.has(a.name)) {
      status.missing.push(a.name);
      status.warnings.push(`alter ${a.name} was applied on ${a.at} by ${a.by} but is not in ${db.alters?.dir ?? "the alters directory"} any more`);
    }
  return status;
}

const MARK_DOWNTIME = /^[ \t]*--[ \t]*slipway:[ \t]*downtime[ \t]*\r?$/im;
const MARK_ZERO = /^[ \t]*--[ \t]*slipway:[ \t]*zero-downtime[ \t]*\r?$/im;

/** Why a statement is destructive (old code may still read what it removes or changes), or null. */
export function destructive(code: string): string | null {
  const c = code.trim().replace(/\s+/g, " ").toUpperCase();
  let m: RegExpExecArray | null;
  if ((m = /^DROP (?:TEMPORARY )?(\w+)/.exec(c))) return `DROP ${m[1]}`;
  if (/^TRUNCATE\b/.test(c)) return "TRUNCATE";
  if (/^RENAME\b/.test(c)) return "RENAME";
  if (/^ALTER\b/.test(c)) {
    if (/\bRENAME\b/.test(c)) return "RENAME";
    if ((m = /\bDROP (?!DEFAULT\b|NOT NULL\b|IDENTITY\b|EXPRESSION\b)(COLUMN|INDEX|KEY|CONSTRAINT|PRIMARY KEY|FOREIGN KEY|PARTITION|CHECK)?/.exec(c)))
      return `ALTER … DROP${m[1] ? ` ${m[1]}` : ""}`;
    if (/\bALTER (?:COLUMN )?\S+ (?:SET DATA )?TYPE\b/.test(c)) return "ALTER … TYPE";
    if (/^ALTER TABLE\b.*\b(MODIFY|CHANGE)\b/.test(c)) return "ALTER … MODIFY/CHANGE (type change)";
  }
  return null;
}

const DDL = /^\s*(CREATE|ALTER|DROP|RENAME|TRUNCATE)\b/i;

/**
 * Whether these pending alters need downtime, and why: a `-- slipway: downtime` line; destructive
 * statements on any engine; on mysql any DDL when `downtime.mysql_ddl`. `-- slipway: zero-downtime`
 * waives the mysql DDL rule for its file, never a destructive statement.
 */
export function classifyAlters(db: Database, pending: AlterFile[]): { needsDowntime: boolean; reasons: string[] } {
  const reasons: string[] = [];
  for (const f of pending) {
    const zero = MARK_ZERO.test(f.sql);
    if (MARK_DOWNTIME.test(f.sql)) reasons.push(`${f.name}: marked "-- slipway: downtime"`);
    for (const [k, st] of scanSql(f.sql, db.engine).statements.entries()) {
      const at = `${f.name} statement ${k + 1} (line ${st.line}) \`${firstLine(st)}\``;
      const d = destructive(st.code);
      if (d)
        reasons.push(
          `${at}: ${d} is destructive: the running code may still use what it removes or changes${
            zero ? ` (its "-- slipway: zero-downtime" marker cannot waive a destructive statement)` : ""
          }`,
        );
      else if (db.engine === "mysql" && db.downtime.mysqlDdl && !zero && DDL.test(st.code))
        reasons.push(`${at}: DDL on mysql commits implicitly and may lock the table (downtime.mysql_ddl; "-- slipway: zero-downtime" in the file waives it)`);
    }
  }
  return { needsDowntime: reasons.length > 0, reasons };
}

/** The sentence each engine's apply is explained with. */
export function engineNote(engine: Engine): string {
  return engine === "mysql"
    ? "mysql: DDL commits implicitly, so statements run and are recorded one at a time; a failed file continues at its failed statement"
    : "postgres: each file runs in one transaction with its history row: a failure leaves the schema unchanged and nothing recorded";
}

/** Lines for `--plan` and `db alters status`: pending files with their statement counts, changed, partial. */
export function formatAlters(status: AltersStatus): string {
  const lines: string[] = [];
  const partial = new Map(status.partial.map((p) => [p.name, p]));
  lines.push(`alters (${status.db}, ${status.engine}): ${status.pending.length} pending, ${status.applied.length} applied`);
  for (const f of status.pending) {
    const n = splitStatements(f.sql, status.engine).length;
    const p = partial.get(f.name);
    lines.push(
      p
        ? `  partial  ${f.name}: ${p.done} of ${p.total} statements applied; continues at statement ${p.done + 1}`
        : `  pending  ${f.name} (${n} statement${n === 1 ? "" : "s"})`,
    );
  }
  for (const c of status.changed) lines.push(`  CHANGED  ${changedMessage(c)}`);
  for (const e of status.errors) lines.push(`  ERROR    ${e}`);
  for (const w of status.warnings) lines.push(`  warning  ${w}`);
  if (status.pending.length) lines.push(`  ${engineNote(status.engine)}`);
  return `${lines.join("\n")}\n`;
}

/** The applied rows, for `db alters status`: who, when, how long. */
export function formatApplied(applied: AppliedAlter[]): string {
  if (!applied.length) return "applied: none\n";
  const w = Math.max(...applied.map((a) => a.name.length));
  return `applied:\n${applied
    .map(
      (a) =>
        `  ${a.name.padEnd(w)}  ${a.at}  by ${a.by}  ${a.durationMs} ms${a.release ? `  release ${a.release}` : ""}${
          a.complete ? "" : `  INCOMPLETE ${a.statementsDone ?? 0}/${a.statementsTotal ?? 0}`
        }`,
    )
    .join("\n")}\n`;
}
