/**
 * `slipway qa db clone --from production`: the I/O side of planClone. Under the target
 * environment's lock: stop its services, bring the source's backup to the target database host
 * (through this machine when they are different logins), restore it over the target database,
 * scrub in one transaction, run the checks; only when every check returns no rows do the services
 * start again. A history line on the target's primary records every clone, scrubbed or not.
 */
import { backupFiles, databaseExists } from "../commands/db/backup.js";
import { adminQuery, ident, withCredentials } from "../commands/db/client.js";
import { checkQuery, runSql } from "../commands/db/scrub.js";
import { cmd, type ScriptCommand } from "../commands/script.js";
import { shPath } from "../commands/quote.js";
import * as rel from "../commands/release.js";
import { pathsFor } from "../config/paths.js";
import type { Database } from "../config/resolve.js";
import { CommandError, InterruptedError, OperationError } from "../errors.js";
import { capture, runHostScript } from "../exec/runner.js";
import { parseCheckOutput } from "../plan/clone-input.js";
import { planClone, type ClonePlan } from "../plan/clone.js";
import type { RunContext } from "./context.js";
import { type BackupMeta, listBackups, restoreBackup } from "./db-backup.js";
import { historyEntry, type HistoryEntry } from "./history.js";
import { withLock } from "./lock.js";
import { applyServicePlan } from "./services.js";

/** The source side: its own context (environment, connections) and database. */
export interface CloneSource {
  ctx: RunContext;
  db: Database;
}

export interface CloneOptions {
  backupId?: string;
  unscrubbed: boolean;
  /** Private key text for an encrypted backup (already redacted by the session). */
  key?: string;
  lockWaitMs: number;
}

/** One failed check: its query and the rows it returned (as the host printed them). */
export interface CheckFailure {
  check: string;
  rows: string[];
}

export interface CloneResult {
  plan: ClonePlan;
  summary: string[];
}

/** List the source's backups and plan; a refusal is an OperationError. Read-only (for --plan too). */
export async function prepareClone(
  ctx: RunContext,
  source: CloneSource,
  targetDb: Database,
  opts: CloneOptions,
): Promise<{ plan: ClonePlan; meta: BackupMeta }> {
  const listed = await listBackups(source.ctx, source.db);
  for (const w of listed.warnings) ctx.bus.warn(w, source.db.host.name);
  const plan = planClone({
    target: ctx.env,
    targetDb,
    source: source.ctx.env,
    sourceDb: source.db,
    backups: listed.backups,
    backupId: opts.backupId,
    unscrubbed: opts.unscrubbed,
  });
  if ("refuse" in plan) throw new OperationError(`db clone refused: ${plan.refuse}`);
  return { plan, meta: listed.backups.find((b) => b.id === plan.backup.id)! };
}

/** The clone itself, holding the target environment's lock. */
export async function applyClone(ctx: RunContext, source: CloneSource, targetDb: Database, opts: CloneOptions): Promise<CloneResult> {
  const t0 = Date.now();
  let history: string | undefined;
  return withLock(
    ctx,
    ctx.pool,
    "db clone",
    `from ${source.ctx.env.name}${opts.unscrubbed ? " (unscrubbed)" : ""}`,
    opts.lockWaitMs,
    async () => {
      const { plan, meta } = await prepareClone(ctx, source, targetDb, opts);
      const record = (outcome: HistoryEntry["outcome"], detail: string) => {
        const entry = {
          ...historyEntry(ctx, t0, outcome, {
            verb: "db clone",
            release: "-",
            fromRelease: null,
            fromCommit: null,
            toCommit: "unknown",
            message: `${targetDb.key} from ${plan.from} backup ${plan.backup.id}, ${plan.scrubbed ? "scrubbed" : "UNSCRUBBED (--unscrubbed)"}: ${detail}`,
          }),
          clone: { from: plan.from, db: targetDb.key, backup: plan.backup.id, scrubbed: plan.scrubbed },
        };
        history = rel.appendHistory(pathsFor(ctx.env.primary.deployTo), entry).sh;
      };
      ctx.bus.emit({ type: "run:start", verb: "db clone", env: ctx.env.name, hosts: [targetDb.host.name] });
      if (!plan.scrubbed)
        ctx.bus.warn(
          `--unscrubbed: ${plan.from}'s data is copied into ${ctx.env.name} as it is (personal data, credentials); this is recorded in ${ctx.env.name}'s history`,
        );
      ctx.bus.info(
        `restoring ${plan.from} backup ${plan.backup.id} (created ${plan.backup.createdAt} by ${plan.backup.by}); no new backup is taken: for fresh data run \`slipway ${plan.from} db backup\` first`,
      );
      const summary: string[] = [];
      try {
        if (plan.stop) summary.push(...(await applyServicePlan(ctx, ctx.pool, ctx.env.hosts, plan.stop)));
        await restore(ctx, source, targetDb, plan, meta, opts.key);
        summary.push(`${targetDb.host.name}: ${targetDb.name} replaced by ${plan.from} backup ${plan.backup.id}`);
        if (plan.scrubSql) {
          await runOn(ctx, targetDb, "scrub", [runSql(targetDb, plan.scrubSql, targetDb.name, `scrub ${targetDb.name} (one transaction)`)]);
          summary.push(`${targetDb.host.name}: scrubbed (${plan.statements.length} statement(s), ${Object.keys(plan.columns).length} column rule(s))`);
        }
        const failed = await runChecks(ctx, targetDb, plan.checks);
        if (failed.length) {
          record("failed", `${failed.length} check(s) returned rows; services left stopped`);
          throw new OperationError(checkFailureText(ctx, failed, plan));
        }
        if (plan.checks.length) summary.push(`${targetDb.host.name}: ${plan.checks.length} check(s) returned no rows`);
        if (plan.start) summary.push(...(await applyServicePlan(ctx, ctx.pool, ctx.env.hosts, plan.start)));
        record("ok", plan.scrubbed ? `${plan.checks.length} check(s) passed` : "not scrubbed");
      } catch (e) {
        if (!history) {
          const interrupted = e instanceof InterruptedError || ctx.signal.aborted;
          record(interrupted ? "interrupted" : "failed", (e as Error).message.split("\n")[0]!.slice(0, 500));
        }
        throw e;
      }
      return { plan, summary };
    },
    undefined,
    () => history,
  );
}

/** One script on the target database host (each command in its own subshell with its pass file). */
async function runOn(ctx: RunContext, db: Database, phase: string, commands: ScriptCommand[], stdout?: (line: string) => void) {
  const ex = await ctx.pool.get(db.host);
  await runHostScript(ex, { env: {}, sections: [{ phase, commands }] }, { bus: ctx.bus, signal: ctx.signal, stdout });
}

/** Every check, in one round trip; the ones that returned rows. */
async function runChecks(ctx: RunContext, db: Database, checks: string[]): Promise<CheckFailure[]> {
  if (!checks.length) return [];
  const lines: string[] = [];
  await runOn(
    ctx,
    db,
    "check",
    checks.map((c, i) => checkQuery(db, c, i)),
    (l) => lines.push(l),
  );
  const { rows, problems } = parseCheckOutput(lines, checks.length);
  for (const p of problems) ctx.bus.warn(p, db.host.name);
  return checks.map((check, i) => ({ check, rows: rows[i]! })).filter((f) => f.rows.length > 0);
}

const SHOWN_ROWS = 20;

function checkFailureText(ctx: RunContext, failed: CheckFailure[], plan: ClonePlan): string {
  const lines = [`db clone: ${failed.length} of ${plan.checks.length} check(s) returned rows after scrubbing; ${ctx.env.name}'s services stay stopped`];
  for (const f of failed) {
    lines.push(`check: ${f.check}`, `  ${f.rows.length} row(s):`);
    lines.push(...f.rows.slice(0, SHOWN_ROWS).map((r) => `    ${r}`));
    if (f.rows.length > SHOWN_ROWS) lines.push(`    ... and ${f.rows.length - SHOWN_ROWS} more`);
  }
  lines.push(
    `fix the scrub rules (environments.${ctx.env.name}.databases.${plan.db}.clone) and clone again, or start the services by hand: slipway ${ctx.env.name} service all start`,
  );
  return lines.join("\n");
}

/**
 * Bring the backup's files into the target's backup directory (unless they are there already),
 * restore it over the target database, then remove the copy (it is not one of the target's backups).
 */
async function restore(ctx: RunContext, source: CloneSource, targetDb: Database, plan: ClonePlan, meta: BackupMeta, key?: string): Promise<void> {
  const files = backupFiles(meta.id, meta.encrypted);
  // Data first, metadata last: the target directory never shows a complete backup that is not.
  const names = [files.data, ...(files.key ? [files.key] : []), files.meta];
  const srcDir = source.db.backups.dir;
  const dstDir = targetDb.backups.dir;
  const dst = await ctx.pool.get(targetDb.host);
  const copied: string[] = [];
  try {
    if (plan.transfer !== "in-place") {
      for (const name of names) {
        const to = `${dstDir}/${name}`;
        const tmp = `${dstDir}/.${name}.part`;
        // Never replace a backup of the target's own with the same name.
        const guard = `[ ! -e ${shPath(to)} ] || { echo ${shPath(to)} already exists >&2; exit 1; }`;
        if (plan.transfer === "copy-on-host") {
          await capture(
            dst,
            "transfer",
            `umask 077 && mkdir -p ${shPath(dstDir)} && ${guard} && cp ${shPath(`${srcDir}/${name}`)} ${shPath(tmp)} && mv ${shPath(tmp)} ${shPath(to)}`,
            `copy ${name} to ${dstDir}`,
            ctx.signal,
          );
        } else {
          const src = await source.ctx.pool.get(source.db.host);
          const data = await capture(src, "transfer", `base64 < ${shPath(`${srcDir}/${name}`)}`, `read ${srcDir}/${name}`, ctx.signal);
          const res = await dst.exec(`umask 077 && mkdir -p ${shPath(dstDir)} && ${guard} && base64 -d > ${shPath(tmp)} && mv ${shPath(tmp)} ${shPath(to)}`, {
            stdin: data,
            signal: ctx.signal,
          });
          if (ctx.signal.aborted) throw new InterruptedError();
          if (res.code !== 0) throw new CommandError(dst.host.name, "transfer", `write ${to}`, res.code, res.stderr.trim().split("\n").slice(-10).join("\n"));
        }
        copied.push(to);
      }
      const sum = (await capture(dst, "transfer", `sha256sum ${shPath(`${dstDir}/${files.data}`)}`, `sha256sum ${files.data}`, ctx.signal)).slice(0, 64);
      if (sum !== meta.sha256)
        throw new OperationError(`${dst.host.name}: the copy of backup ${meta.id} has sha256 ${sum}, its metadata says ${meta.sha256}: not restored`);
      ctx.bus.info(`backup ${meta.id} ${plan.transfer === "stream" ? `streamed from ${source.db.host.name}` : "copied"} to ${dstDir}`, dst.host.name);
    }
    // restoreBackup over the live database backs it up first (before-restore: the clone can be
    // undone with `db restore`); a target database that does not exist yet is created empty for that.
    const exists: string[] = [];
    await runOn(ctx, targetDb, "restore", [cmd(databaseExists(targetDb, targetDb.name), `check whether ${targetDb.name} exists`)], (l) => exists.push(l));
    if (!exists.includes("EXISTS")) {
      const create = withCredentials(targetDb, `${adminQuery(targetDb, `CREATE DATABASE ${ident(targetDb, targetDb.name)}`)} > /dev/null`);
      await runOn(ctx, targetDb, "restore", [cmd(create, `create database ${targetDb.name}`)]);
    }
    await restoreBackup(ctx, targetDb, meta.id, { key });
  } finally {
    if (copied.length) {
      try {
        await capture(
          dst,
          "transfer",
          `rm -f ${copied.map(shPath).join(" ")} ${names.map((n) => shPath(`${dstDir}/.${n}.part`)).join(" ")}`,
          "remove the copied backup",
        );
      } catch (e) {
        ctx.bus.warn(`could not remove the copied backup ${meta.id} from ${dstDir}: ${(e as Error).message}`, dst.host.name);
      }
    }
  }
}
