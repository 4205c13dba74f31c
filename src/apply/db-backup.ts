/**
 * Database backups, run on the database host (db.host) over the session's connections: take
 * (dump + statistics + metadata + retention), list, restore and verify. No lock and no prompt
 * here: the verbs do those, so other operations (deploys before migrate, clones) can call these.
 */
import { randomBytes } from "node:crypto";
import {
  backupFiles,
  databaseExists,
  DB_NAME,
  dumpDisplay,
  dumpToFile,
  listDir,
  newBackupId,
  nonInnodbTables,
  prepareDir,
  readCurrent,
  removeBackups,
  restoreInto,
  verifyScript,
  writeMeta,
} from "../commands/db/backup.js";
import { cmd, type ScriptCommand } from "../commands/script.js";
import { pathsFor } from "../config/paths.js";
import type { Database } from "../config/resolve.js";
import { OperationError, UsageError } from "../errors.js";
import { capture, runHostScript } from "../exec/runner.js";
import { compareTables, parseBackupListing, parseDumpStats, planRetention, type BackupMeta, type IncompleteBackup, type TableCheck } from "../plan/db-input.js";
import { parseCurrentTarget } from "../plan/host-input.js";
import type { RunContext } from "./context.js";

export type { BackupMeta, IncompleteBackup, TableCheck };

/** Run commands as one script on the database host; returns its stdout lines (data, not shown). */
async function onDbHost(ctx: RunContext, db: Database, phase: string, commands: ScriptCommand[]): Promise<string[]> {
  const lines: string[] = [];
  await runHostScript(
    await ctx.pool.get(db.host),
    { env: {}, sections: [{ phase, commands }] },
    { bus: ctx.bus, signal: ctx.signal, stdout: (l) => lines.push(l) },
  );
  return lines;
}

/** The release the environment's primary runs, or null (none yet, or unreadable: a warning). */
async function currentRelease(ctx: RunContext): Promise<string | null> {
  try {
    const out = await capture(
      await ctx.pool.get(ctx.env.primary),
      "backup",
      readCurrent(pathsFor(ctx.env.primary.deployTo).current),
      "readlink current",
      ctx.signal,
    );
    return parseCurrentTarget(out.trim());
  } catch (e) {
    ctx.bus.warn(`backup: could not read the current release on ${ctx.env.primary.name}: ${(e as Error).message.split("\n")[0]}`);
    return null;
  }
}

const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;

/** Take a backup: a consistent dump on the database host, its statistics and metadata, then retention. */
export async function takeBackup(ctx: RunContext, db: Database, opts: { note?: string; release?: string | null; reason: string }): Promise<BackupMeta> {
  return backupKeeping(ctx, db, opts, []);
}

async function backupKeeping(
  ctx: RunContext,
  db: Database,
  opts: { note?: string; release?: string | null; reason: string },
  protect: string[],
): Promise<BackupMeta> {
  if (!/^[a-z][a-z-]{0,31}$/.test(opts.reason))
    throw new UsageError(`backup reason must be a word like manual or before-migrate, got ${JSON.stringify(opts.reason)}`);
  const release = opts.release !== undefined ? opts.release : await currentRelease(ctx);
  const id = newBackupId(new Date(), randomBytes(2).toString("hex"));
  const host = db.host.name;
  ctx.bus.info(`backup ${id}: dumping ${db.engine} database ${db.name} (${db.key}) on ${host} (${opts.reason})`, host);
  const commands = [cmd(prepareDir(db), `mkdir -p ${db.backups.dir}`)];
  if (db.engine === "mysql") commands.push(cmd(nonInnodbTables(db), `list non-InnoDB tables of ${db.name}`));
  commands.push(cmd(dumpToFile(db, id), dumpDisplay(db, id)));
  const t0 = Date.now();
  const stats = parseDumpStats(await onDbHost(ctx, db, "backup", commands));
  if (stats.nonInnodb.length)
    ctx.bus.warn(
      `${db.name}: ${stats.nonInnodb.map((t) => `${t.table} (${t.engine})`).join(", ")} ${stats.nonInnodb.length === 1 ? "is" : "are"} not InnoDB: not covered by the consistent snapshot (--single-transaction)`,
      host,
    );
  for (const p of stats.problems) ctx.bus.warn(`backup ${id}: ${p}`, host);
  if (!stats.file) {
    await onDbHost(ctx, db, "backup", [cmd(removeBackups(db, [id]), `rm ${id}.*`)]).catch(() => {});
    throw new OperationError(`${host}: backup ${id}: the dump pipeline reported no file size and checksum; the file was removed`);
  }
  const encrypted = Boolean(db.backups.encryptTo);
  const meta: BackupMeta = {
    id,
    db: db.key,
    engine: db.engine,
    database: db.name,
    host,
    createdAt: new Date(t0).toISOString(),
    by: ctx.by,
    release: release ?? null,
    reason: opts.reason,
    note: opts.note ?? null,
    file: backupFiles(id, encrypted).data,
    size: stats.file.size,
    sha256: stats.file.sha256,
    encrypted,
    tables: stats.tables,
  };
  await onDbHost(ctx, db, "backup", [cmd(writeMeta(db, id, JSON.stringify(meta)), `write ${backupFiles(id, false).meta}`)]);
  const secs = (Date.now() - t0) / 1000;
  const rows = Object.values(meta.tables).reduce((n, t) => n + t.rows, 0);
  ctx.bus.info(
    `backup ${id}: ${mb(meta.size)}${encrypted ? " encrypted" : ""}, ${Object.keys(meta.tables).length} tables, ${rows} rows in ${secs.toFixed(1)} s (sha256 ${meta.sha256.slice(0, 12)})`,
    host,
  );
  await retention(ctx, db, [...protect, id]);
  return meta;
}

/** Remove backups beyond `keep` and older than `keepDays`; reports what was removed. */
async function retention(ctx: RunContext, db: Database, protect: string[]): Promise<string[]> {
  const { backups, warnings } = await listBackups(ctx, db);
  for (const w of warnings) ctx.bus.warn(w, db.host.name);
  const gone = planRetention(backups, db.backups.keep, db.backups.keepDays, Date.now(), protect).map((b) => b.id);
  if (!gone.length) return [];
  await onDbHost(ctx, db, "backup", [cmd(removeBackups(db, gone), `remove ${gone.length} old backup(s) in ${db.backups.dir}`)]);
  ctx.bus.info(`retention (keep ${db.backups.keep}, keep_days ${db.backups.keepDays}): removed ${gone.join(", ")}`, db.host.name);
  return gone;
}

/** The database's backups (newest last), the incomplete ones, and warnings about anything malformed. */
export async function listBackups(ctx: RunContext, db: Database): Promise<{ backups: BackupMeta[]; warnings: string[]; incomplete: IncompleteBackup[] }> {
  const out = await capture(await ctx.pool.get(db.host), "backups", listDir(db), `list ${db.backups.dir}`, ctx.signal);
  return parseBackupListing(out);
}

async function findBackup(ctx: RunContext, db: Database, id: string): Promise<BackupMeta> {
  const { backups, incomplete } = await listBackups(ctx, db);
  const meta = backups.find((b) => b.id === id);
  if (meta) return meta;
  if (incomplete.some((b) => b.id === id)) throw new OperationError(`backup ${id} of ${db.key} is incomplete (no metadata): it cannot be restored or verified`);
  throw new UsageError(`no backup ${JSON.stringify(id)} of ${db.key} on ${db.host.name} (slipway ${ctx.env.name} db backups)`);
}

/** The backup an id names, checked to exist and be complete (for the restore prompt). */
export async function describeBackup(ctx: RunContext, db: Database, id: string): Promise<BackupMeta> {
  return findBackup(ctx, db, id);
}

const rand = () => randomBytes(3).toString("hex");

/**
 * Restore backup `id` into the database (or `into`, which must not exist unless `replace`).
 * Restoring over the live database first takes a `before-restore` backup of it.
 */
export async function restoreBackup(
  ctx: RunContext,
  db: Database,
  id: string,
  opts: { into?: string; key?: string; replace?: boolean; release?: string | null },
): Promise<{ safety?: string }> {
  const meta = await findBackup(ctx, db, id);
  if (meta.encrypted && !opts.key) throw new UsageError(`backup ${id} is encrypted: pass --key <private key file>`);
  const target = opts.into ?? db.name;
  if (!DB_NAME.test(target)) throw new UsageError(`--into: not a database name: ${JSON.stringify(target)}`);
  const host = db.host.name;
  let safety: string | undefined;
  if (target === db.name) {
    safety = (await backupKeeping(ctx, db, { reason: "before-restore", note: `before restoring ${id}`, release: opts.release }, [id])).id;
  } else {
    const out = await onDbHost(ctx, db, "restore", [cmd(databaseExists(db, target), `check whether database ${target} exists`)]);
    if (out.includes("EXISTS") && !opts.replace)
      throw new UsageError(`database ${target} exists on ${db.server.host}:${db.server.port}; pass --replace to overwrite it`);
  }
  ctx.bus.info(`restoring backup ${id} (${mb(meta.size)}) into ${db.engine} database ${target} on ${host}`, host);
  const t0 = Date.now();
  await onDbHost(ctx, db, "restore", [
    cmd(
      restoreInto(db, id, target, { encrypted: meta.encrypted, privateKey: opts.key, rand: rand() }),
      `restore ${meta.file} into ${target} (${db.server.host}:${db.server.port})`,
    ),
  ]);
  ctx.bus.info(`restored ${id} into ${target} in ${((Date.now() - t0) / 1000).toFixed(1)} s`, host);
  return safety ? { safety } : {};
}

export interface VerifyReport {
  id: string;
  ok: boolean;
  sha256: { expected: string; actual: string | null; ok: boolean };
  /** Per table: rows and checksum of the metadata vs the scratch restore (empty when the file's checksum differs). */
  tables: TableCheck[];
  scratch: string;
  problems: string[];
}

/** Check the file's sha256, restore it into a scratch database, compare per-table rows and checksums, drop it. */
export async function verifyBackup(ctx: RunContext, db: Database, id: string, opts: { key?: string }): Promise<VerifyReport> {
  const meta = await findBackup(ctx, db, id);
  if (meta.encrypted && !opts.key) throw new UsageError(`backup ${id} is encrypted: pass --key <private key file>`);
  const scratch = `${db.name.slice(0, 40)}_verify_${rand()}`;
  ctx.bus.info(`verifying backup ${id}: restoring into scratch database ${scratch} on ${db.host.name}`, db.host.name);
  const lines = await onDbHost(ctx, db, "verify", [
    cmd(
      verifyScript(db, id, { encrypted: meta.encrypted, privateKey: opts.key, expectedSha: meta.sha256, scratch }),
      `verify ${meta.file} in scratch database ${scratch}`,
    ),
  ]);
  const stats = parseDumpStats(lines);
  const shaOk = stats.sha256 === meta.sha256;
  const tables = shaOk ? compareTables(meta.tables, stats.tables) : [];
  return {
    id,
    ok: shaOk && stats.problems.length === 0 && tables.every((t) => t.ok),
    sha256: { expected: meta.sha256, actual: stats.sha256 ?? null, ok: shaOk },
    tables,
    scratch,
    problems: stats.problems,
  };
}
