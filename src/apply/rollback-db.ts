/**
 * Migration-aware rollback: before any host switches, compare each database's schema state with
 * the one the target release was deployed with. A difference refuses the rollback (naming what ran
 * since) unless --force, or --restore-db, which restores the backup taken before those migrations
 * under downtime, after showing what data written since would be lost.
 */
import { pathsFor } from "../config/paths.js";
import type { Database, Host } from "../config/resolve.js";
import { tableRows } from "../commands/db/counts.js";
import { readDbRecord } from "../commands/db/record.js";
import { OperationError } from "../errors.js";
import { capture } from "../exec/runner.js";
import { parseDbRecord, type DbRecord } from "../plan/host-input.js";
import { describeDrift, drifted, lossLines, parseTableRows, restoreCandidate, schemaDrift, type SchemaDrift } from "../plan/rollback-db.js";
import type { RollbackPlan } from "../plan/rollback.js";
import type { HostState } from "../plan/state.js";
import { altersStatus } from "./alters.js";
import type { RunContext } from "./context.js";
import { listBackups, restoreBackup } from "./db-backup.js";
import { downtimeStart } from "./downtime.js";

export interface RollbackDbOptions {
  force?: boolean;
  restoreDb?: boolean;
  yes?: boolean;
}

export interface DbRestoreStep {
  db: Database;
  backup: string;
  release: string;
  loss: string;
}

export interface RollbackDbCheck {
  drifts: SchemaDrift[];
  restores: DbRestoreStep[];
  text: string;
}

async function readRecord(ctx: RunContext, primary: Host, release: string): Promise<DbRecord | undefined> {
  const out = await capture(await ctx.pool.get(primary), "check", readDbRecord(pathsFor(primary.deployTo), release), `read ${release}'s db.json`, ctx.signal);
  if (!out.trim()) return undefined;
  const r = parseDbRecord(out.trim());
  if (!r.ok) {
    ctx.bus.warn(`${release}: ${r.problem}`, primary.name);
    return undefined;
  }
  return r.value;
}

/** Compare, decide, and throw the refusal when the schema moved and neither --force nor --restore-db was given. */
export async function checkRollbackSchema(
  ctx: RunContext,
  states: Record<string, HostState>,
  plan: RollbackPlan,
  opts: RollbackDbOptions,
): Promise<RollbackDbCheck | undefined> {
  const env = ctx.env;
  if (!env.databases.length || env.component !== null) return undefined;
  const primary = env.hosts.find((h) => h.name === plan.primary) ?? env.primary;
  const [target, current] = await Promise.all([readRecord(ctx, primary, plan.target), readRecord(ctx, primary, plan.from)]);
  const drifts: SchemaDrift[] = [];
  for (const db of env.databases) {
    let live: string[] | undefined;
    let files: string[] | undefined;
    if (db.alters) {
      // What the database holds now (the truth), and, for git sources, which alters the target's code has.
      const st = await altersStatus(ctx, db, plan.toCommit === "unknown" ? plan.commit : plan.toCommit);
      live = st.applied.map((a) => a.name);
      if (env.source.type === "git" && plan.toCommit !== "unknown") files = st.files.map((f) => f.name);
    }
    drifts.push(schemaDrift(db.key, target?.[db.key], current?.[db.key], live, files));
  }
  const moved = drifts.filter(drifted);
  const text = describeDrift(plan.target, drifts);
  if (!moved.length) {
    if (text) ctx.bus.warn(text.trim());
    return { drifts, restores: [], text };
  }
  if (opts.restoreDb) {
    const releases = states[plan.primary]?.releases ?? [];
    const restores: DbRestoreStep[] = [];
    for (const d of moved) {
      const db = env.databases.find((x) => x.key === d.db)!;
      const pick = restoreCandidate(db.key, releases, plan.target);
      if (!pick)
        throw new OperationError(`rollback --restore-db refused: no before-migrate backup of ${db.key} is recorded in a release after ${plan.target}\n${text}`);
      const { backups } = await listBackups(ctx, db);
      const meta = backups.find((b) => b.id === pick.backup);
      if (!meta)
        throw new OperationError(
          `rollback --restore-db refused: backup ${pick.backup} of ${db.key} (taken before ${pick.release}) is no longer on ${db.host.name}`,
        );
      const live = parseTableRows(await capture(await ctx.pool.get(db.host), "check", tableRows(db), `count rows in ${db.name}`, ctx.signal));
      const before = Object.fromEntries(Object.entries(meta.tables).map(([t, v]) => [t, v.rows]));
      const lines = lossLines(before, live);
      const loss =
        `  ${db.key}: restore backup ${meta.id} (taken ${meta.createdAt} by ${meta.by}, before ${pick.release} was deployed); ` +
        `everything written to ${db.name} since then is lost${lines.length ? ":\n" + lines.join("\n") : " (row counts are the same)"}`;
      restores.push({ db, backup: meta.id, release: pick.release, loss });
    }
    const all = `${text}\n${restores.map((r) => r.loss).join("\n")}`;
    if (!opts.yes) throw new OperationError(`rollback --restore-db would replace data:\n${all}\nre-run with --yes to restore under downtime`);
    ctx.bus.warn(all.trim());
    return { drifts, restores, text: all };
  }
  if (!opts.force)
    throw new OperationError(
      `rollback refused: ${plan.target} was deployed with another database schema:\n${text}\n` +
        "the old code may not work with the new schema: --force rolls back the code anyway, --restore-db also restores the database from the backup taken before those migrations",
    );
  ctx.bus.warn(`rolling back across schema changes (--force):\n${text}`);
  return { drifts, restores: [], text };
}

/** --restore-db, before the switch: page up and services stopped, a safety backup, then the restore. */
export async function restoreForRollback(ctx: RunContext, hosts: Host[], plan: RollbackPlan, steps: DbRestoreStep[]): Promise<string[]> {
  await downtimeStart(ctx, hosts, `Rolling back to ${plan.target}`);
  const lines: string[] = [];
  for (const s of steps) {
    // restoreBackup keeps the data it replaces in a before-restore backup first.
    const { safety } = await restoreBackup(ctx, s.db, s.backup, { replace: true, release: plan.from });
    lines.push(`${s.db.key}: restored ${s.backup} (the data replaced is in backup ${safety ?? "(none)"})`);
  }
  return lines;
}
