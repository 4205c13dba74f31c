/**
 * Tracked SQL alters, the I/O side: the files come from the source at the deploy's commit, read on
 * the control machine (a dir source's directory, or git at the commit in the local repository or
 * the control machine's mirror); the history table is read and written on the database host
 * through the session's pool, with the credentials in a 0600 pass file.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { applyMysqlStatements, applyPgFile, DEFAULT_HISTORY_TABLE, readHistory } from "../commands/db/alters.js";
import { withCredentials } from "../commands/db/client.js";
import { COMMIT } from "../config/paths.js";
import type { Database } from "../config/resolve.js";
import { InterruptedError, OperationError, UsageError } from "../errors.js";
import type { RunResult } from "../exec/executor.js";
import {
  ALTER_NAME,
  type AlterFile,
  type AltersStatus,
  changedMessage,
  engineNote,
  firstLine,
  planAlters,
  type SqlStatement,
  scanSql,
} from "../plan/alters.js";
import { parseAltersHistory, parseProgress, type HistoryRead } from "../plan/alters-input.js";
import type { RunContext } from "./context.js";
import { sourceRepo } from "./pending.js";

/** The alters directory inside the source: relative, normalised, never outside it. */
function altersDir(db: Database): string {
  const raw = db.alters?.dir ?? "";
  const dir = path.posix
    .normalize(raw.replace(/\\/g, "/"))
    .replace(/^\.\/+/, "")
    .replace(/\/+$/, "");
  if (!dir || dir === "." || dir.startsWith("/") || dir === ".." || dir.startsWith("../"))
    throw new UsageError(`databases.${db.key}.alters.dir: ${JSON.stringify(raw)} must be a directory inside the source (e.g. db/alters)`);
  return dir;
}

const toFile = (name: string, content: Buffer): AlterFile => ({
  name,
  checksum: createHash("sha256").update(content).digest("hex"),
  sql: content.toString("utf8"),
});

function rejectNames(db: Database, dir: string, bad: string[]): void {
  if (bad.length)
    throw new OperationError(
      `${dir} (databases.${db.key}.alters.dir) holds SQL files Slipway will not run: ${bad.join(", ")}; alter files are regular files named like 0042_add_index.sql (${ALTER_NAME.source})`,
    );
}

/** git with argv only, stdout as bytes (file contents are not necessarily UTF-8 to git). */
function git(repo: string, args: string[], input?: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", ["-C", repo, ...args], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, GIT_TERMINAL_PROMPT: "0" } });
    const out: Buffer[] = [];
    let err = "";
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => (err += c));
    child.on("error", reject);
    // git may exit before reading its input (an unknown commit): the exit status tells, not EPIPE.
    child.stdin.on("error", () => {});
    child.on("close", (code) =>
      code === 0 ? resolve(Buffer.concat(out)) : reject(new OperationError(`git ${args[0]} in ${repo} failed: ${err.trim().split("\n").slice(-2).join(" ")}`)),
    );
    child.stdin.end(input ?? "");
  });
}

/** `git cat-file --batch` answers: `<sha> blob <size>\n<content>\n` per object, in the order asked. */
function parseBatch(buf: Buffer, shas: string[]): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (const sha of shas) {
    const nl = buf.indexOf(0x0a, at);
    const head = buf.subarray(at, nl).toString("utf8");
    const m = /^([0-9a-f]{40}) blob (\d+)$/.exec(head);
    if (nl < 0 || !m || m[1] !== sha) throw new OperationError(`git cat-file answered ${JSON.stringify(head.slice(0, 80))} for ${sha}`);
    const size = Number(m[2]);
    out.push(buf.subarray(nl + 1, nl + 1 + size));
    at = nl + 1 + size + 1;
  }
  return out;
}

/** The alter files (`*.sql` directly in alters.dir, sorted by name) of the source at `commit`. */
export async function readAlterFiles(ctx: RunContext, db: Database, commit: string): Promise<AlterFile[]> {
  if (!db.alters) return [];
  const dir = altersDir(db);
  const src = ctx.env.source;
  const files: AlterFile[] = [];
  const bad: string[] = [];
  if (src.type === "dir") {
    const abs = path.join(src.path, dir);
    if (!existsSync(abs)) return [];
    for (const d of readdirSync(abs, { withFileTypes: true })) {
      if (!d.name.endsWith(".sql")) continue;
      if (!ALTER_NAME.test(d.name) || !d.isFile()) bad.push(JSON.stringify(d.name));
      else files.push(toFile(d.name, readFileSync(path.join(abs, d.name))));
    }
  } else {
    if (!COMMIT.test(commit)) throw new OperationError(`alters: ${JSON.stringify(commit)} is not a full commit id`);
    const repo = await sourceRepo(ctx.stateDir, src, [commit]);
    const tree = (await git(repo, ["ls-tree", "-z", "--end-of-options", commit, `${dir}/`])).toString("utf8");
    const blobs: { name: string; sha: string }[] = [];
    for (const entry of tree.split("\0")) {
      const m = /^(\d{6}) (\w+) ([0-9a-f]{40})\t(.*)$/s.exec(entry);
      if (!m) continue;
      const name = m[4]!.slice(dir.length + 1);
      if (!name.endsWith(".sql")) continue;
      if (!ALTER_NAME.test(name) || m[2] !== "blob" || m[1] === "120000") bad.push(JSON.stringify(name));
      else blobs.push({ name, sha: m[3]! });
    }
    if (blobs.length) {
      const shas = blobs.map((b) => b.sha);
      const contents = parseBatch(await git(repo, ["cat-file", "--batch"], `${shas.join("\n")}\n`), shas);
      for (const [i, b] of blobs.entries()) files.push(toFile(b.name, contents[i]!));
    }
  }
  rejectNames(db, dir, bad);
  return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** One script on the database host, credentials set up in it; never aborts half-way silently. */
async function onDbHost(ctx: RunContext, db: Database, body: string): Promise<RunResult> {
  const ex = await ctx.pool.get(db.host);
  const r = await ex.script(withCredentials(db, body), { signal: ctx.signal });
  if (ctx.signal.aborted) throw new InterruptedError();
  return r;
}

const tail = (s: string, n = 8) => s.trim().split("\n").slice(-n).join("\n");
const table = (db: Database) => db.alters?.table ?? DEFAULT_HISTORY_TABLE;

async function history(ctx: RunContext, db: Database, create: boolean): Promise<HistoryRead> {
  const r = await onDbHost(ctx, db, readHistory(db, create));
  if (r.code !== 0)
    throw new OperationError(`${db.host.name}: cannot read the schema history ${table(db)} of database ${db.key} (${db.engine}):\n${tail(r.stderr)}`);
  return parseAltersHistory(r.stdout);
}

/** The files at `commit` against the history table (read only: a missing table means nothing is applied). */
export async function altersStatus(ctx: RunContext, db: Database, commit: string): Promise<AltersStatus> {
  if (!db.alters) throw new UsageError(`database ${db.key} has no alters (set environments.${ctx.env.name}.databases.${db.key}.alters.dir)`);
  const [files, read] = await Promise.all([readAlterFiles(ctx, db, commit), history(ctx, db, false)]);
  return planAlters(db, files, read.applied, read.problems);
}

const numbered = (label: string, k: number, st: SqlStatement) => `  ${label.padEnd(8)} ${k} (line ${st.line}) \`${firstLine(st)}\``;

function refuse(status: AltersStatus): void {
  const why = [...status.changed.map(changedMessage), ...status.errors];
  if (why.length) throw new OperationError(`${why.join("\n")}\nnothing was applied`);
}

/** Why a PostgreSQL file failed: psql names the stdin line, which is the file's line (the file comes first). */
function pgFailure(db: Database, f: AlterFile, statements: SqlStatement[], stderr: string, done: string[]): OperationError {
  const line = Number(/psql:<stdin>:(\d+):/.exec(stderr)?.[1] ?? 0);
  const lines = f.sql.split("\n").length;
  let k = -1;
  if (line) for (const [i, s] of statements.entries()) if (s.line <= line) k = i;
  const where =
    line > lines
      ? `recording it in ${table(db)} failed`
      : k >= 0
        ? `statement ${k + 1} of ${statements.length} failed (line ${statements[k]!.line}) \`${firstLine(statements[k]!)}\``
        : "it failed";
  return new OperationError(
    [
      `alter ${f.name} failed on ${db.host.name}: ${where}; ${engineNote("postgres").replace(/^postgres: /, "")}`,
      tail(stderr)
        .split("\n")
        .map((l) => `    ${l}`)
        .join("\n"),
      done.length ? `applied before it: ${done.join(", ")}` : "no alter was applied in this run",
    ].join("\n"),
  );
}

/** Which statements of a MySQL file ran, which failed (with the server's error) and which did not run. */
function mysqlFailure(
  db: Database,
  f: AlterFile,
  statements: SqlStatement[],
  from: number,
  progress: number | null,
  stderr: string,
  done: string[],
): OperationError {
  // The client echoes the statement around its error in batch mode: the ERROR lines are what matters.
  const errors = stderr.split("\n").filter((l) => /^ERROR\b/.test(l));
  const err = (errors.length ? errors.join("\n") : tail(stderr, 4)).replace(/ at line \d+/g, "");
  const lines = [`alter ${f.name} failed on ${db.host.name} (mysql: DDL commits implicitly, so the statements before the failed one stay applied):`];
  if (progress === null) {
    lines.push(`    ${err.split("\n").join("\n    ")}`, `its history row could not be read: check ${table(db)} for ${f.name} before re-running`);
  } else {
    statements.forEach((st, i) => {
      const k = i + 1;
      if (k <= progress) lines.push(numbered("applied", k, st) + (k <= from ? " (earlier run)" : ""));
      else if (k === progress + 1) lines.push(`${numbered("FAILED", k, st)}: ${err.split("\n").join(" ")}`);
      else lines.push(numbered("not run", k, st));
    });
    lines.push(
      `statements 1..${progress} of ${statements.length} are recorded in ${table(db)} (statements_done = ${progress}); fix the cause and re-run: it continues at statement ${progress + 1} (the file itself must not change)`,
    );
  }
  lines.push(done.length ? `applied before it: ${done.join(", ")}` : "no other alter was applied in this run");
  return new OperationError(lines.join("\n"));
}

/** `user@host` as a history value: one line, bounded (the reader checks the same). */
const recordedBy = (by: string) => by.replace(/[\t\n\r]/g, " ").slice(0, 255) || "unknown";

/**
 * Apply the pending files of `status` in order, on db.host. Refuses before anything runs if a
 * file was changed after it was applied (or history rows are unreadable). Under the caller's
 * lock the history is read again (creating the table if missing), so alters applied since the
 * status was taken are not run twice. Throws OperationError with the statement-by-statement report.
 */
export async function applyAlters(ctx: RunContext, db: Database, status: AltersStatus, opts: { release?: string }): Promise<{ applied: string[] }> {
  refuse(status);
  const read = await history(ctx, db, true);
  const now = planAlters(db, status.files, read.applied, read.problems);
  refuse(now);
  const who = { by: recordedBy(ctx.by), release: opts.release };
  const applied: string[] = [];
  for (const f of now.pending) {
    const statements = scanSql(f.sql, db.engine).statements;
    const t0 = Date.now();
    if (db.engine === "postgres") {
      const r = await onDbHost(ctx, db, applyPgFile(db, f, statements.length, who));
      if (r.code !== 0) throw pgFailure(db, f, statements, r.stderr, applied);
    } else {
      const partial = now.partial.find((p) => p.name === f.name);
      const from = partial?.done ?? 0;
      const r = await onDbHost(
        ctx,
        db,
        applyMysqlStatements(
          db,
          f,
          statements.map((s) => s.sql),
          from,
          !partial,
          who,
        ),
      );
      const progress = parseProgress(r.stdout);
      if (r.code !== 0) throw mysqlFailure(db, f, statements, from, progress, r.stderr, applied);
      if (progress !== statements.length)
        throw new OperationError(
          `alter ${f.name}: the client finished but ${table(db)} records ${progress ?? "no"} of ${statements.length} statements; check the row before re-running`,
        );
      if (from) ctx.bus.info(`alter ${f.name}: continued at statement ${from + 1} of ${statements.length}`, db.host.name);
    }
    applied.push(f.name);
    ctx.bus.info(`alter ${f.name} applied (${statements.length} statement${statements.length === 1 ? "" : "s"}, ${Date.now() - t0} ms)`, db.host.name);
  }
  return { applied };
}
