/**
 * How a database client is started on the database host. The password is written by the shell's
 * own `printf` (a builtin: no process, no argv) into a 0600 file that a trap removes, and the
 * client is pointed at that file: PGPASSFILE for PostgreSQL, --defaults-extra-file for MySQL.
 * So it is never on a command line, never in a client's environment, never in `ps`.
 */
import type { Database } from "../../config/resolve.js";
import { argv, shq } from "../quote.js";

/** The pass file's content, escaped for its format (pgpass fields, a [client] option file). */
export function credentialText(db: Pick<Database, "engine" | "password">): string {
  const pw = db.password ?? "";
  if (db.engine === "postgres") return `*:*:*:*:${pw.replace(/[\\:]/g, (c) => `\\${c}`)}\n`;
  return `[client]\npassword="${pw.replace(/[\\"]/g, (c) => `\\${c}`)}"\n`;
}

/**
 * Shell lines that create the pass file as `$__cred` and remove it when the (sub)shell exits.
 * Run inside one subshell per operation (compileScript gives each command its own).
 */
export function credentialSetup(db: Pick<Database, "engine" | "password">): string {
  const lines = [`umask 077`, `__cred=$(mktemp "\${TMPDIR:-/tmp}/slipway-db.XXXXXX") || exit 1`, `trap 'rm -f "$__cred"' EXIT`];
  if (db.password !== undefined) lines.push(`printf '%s' ${shq(credentialText(db))} > "$__cred"`);
  else if (db.engine === "mysql") lines.push(`printf '[client]\\n' > "$__cred"`);
  return lines.join("\n");
}

/** Connection arguments shared by every client of the engine. */
function pgConn(db: Database, name = db.name): string {
  return argv("-h", db.server.host, "-p", String(db.server.port), "-U", db.user, "-d", name);
}
function myConn(db: Database): string {
  return argv("-h", db.server.host, "-P", String(db.server.port), "-u", db.user);
}

/** Programs by engine; mysql names work with MariaDB's clients too. */
export type Tool = "sql" | "dump" | "restore";

/**
 * A client command line (after credentialSetup): `sql` reads SQL on stdin and stops at the first
 * error; `dump` writes a consistent dump to stdout; `restore` reads one on stdin.
 * `name` targets another database on the same server (a scratch or clone database).
 */
export function client(db: Database, tool: Tool, name = db.name, extra: string[] = []): string {
  if (db.engine === "postgres") {
    const env = `PGPASSFILE="$__cred" PGCONNECT_TIMEOUT=10`;
    if (tool === "dump") return `${env} pg_dump ${pgConn(db, name)} --no-owner --no-privileges ${argv(...extra)}`.trimEnd();
    return `${env} psql -X -q -v ON_ERROR_STOP=1 --no-psqlrc ${pgConn(db, name)} ${argv(...extra)}`.trimEnd();
  }
  const file = `--defaults-extra-file="$__cred"`;
  if (tool === "dump")
    return `mysqldump ${file} ${myConn(db)} --single-transaction --quick --skip-extended-insert --routines --triggers --hex-blob ${argv(...extra)} ${shq(name)}`.replace(
      /\s+/g,
      " ",
    );
  return `mysql ${file} ${myConn(db)} --batch --skip-column-names ${argv(...extra)} ${shq(name)}`.replace(/\s+/g, " ");
}

/** A query whose rows come back tab-separated, without headers (psql -At / mysql -N -B). */
export function query(db: Database, sql: string, name = db.name): string {
  if (db.engine === "postgres") return `${client(db, "sql", name, ["-A", "-t", "-F", "\t"])} -c ${shq(sql)}`;
  return `${client(db, "sql", name)} -e ${shq(sql)}`;
}

/** Administrative SQL run against the server's maintenance database (to create or drop databases). */
export function adminQuery(db: Database, sql: string): string {
  if (db.engine === "postgres") return `${client(db, "sql", "postgres", ["-A", "-t"])} -c ${shq(sql)}`;
  return `mysql --defaults-extra-file="$__cred" ${myConn(db)} --batch --skip-column-names -e ${shq(sql)}`;
}

/** An identifier quoted for the engine (table and database names that reach SQL). */
export function ident(db: Pick<Database, "engine">, id: string): string {
  if (db.engine === "postgres") return `"${id.replace(/"/g, '""')}"`;
  return `\`${id.replace(/`/g, "``")}\``;
}

/** A string literal for SQL. Standard-conforming on both engines (MySQL's backslash escapes handled). */
export function literal(db: Pick<Database, "engine">, v: string): string {
  const s = v.replace(/'/g, "''");
  return db.engine === "mysql" ? `'${s.replace(/\\/g, "\\\\")}'` : `'${s}'`;
}

/** One operation: pass file, then the body, in the same subshell so the trap removes the file. */
export function withCredentials(db: Database, body: string): string {
  return `${credentialSetup(db)}\n${body}`;
}
