/** Rollback: walk the plan from planRollback under the lock; a failure puts every switched host back. */
import { pathsFor } from "../config/paths.js";
import type { Host } from "../config/resolve.js";
import * as rel from "../commands/release.js";
import { OperationError } from "../errors.js";
import { planRollback, type RollbackPlan } from "../plan/rollback.js";
import { badCurrentRefusal } from "../plan/state.js";
import type { RunContext } from "./context.js";
import type { OperationResult } from "./deploy.js";
import { historyEntry, type HistoryEntry } from "./history.js";
import { DeployRun } from "./deploy-run.js";
import { recover } from "./recover.js";
import { gatherStates, knownPrimary, primaryStateCommand } from "./gather.js";
import { withLock } from "./lock.js";
import { StageError } from "./stages.js";
import { checkRollbackSchema, restoreForRollback, type RollbackDbCheck, type RollbackDbOptions } from "./rollback-db.js";
import { pageDown } from "./downtime.js";
import { handEditsGate, readHandEdits } from "./preflight/handedits.js";
import { gateReads } from "./preflight/reads.js";

export { chooseRollback } from "../plan/rollback.js";

export interface RollbackOptions extends RollbackDbOptions {
  target?: string;
  lockWaitMs: number;
  reason?: string;
}

/** Read the hosts' state and plan, changing nothing (`rollback --plan`). */
export async function previewRollback(
  ctx: RunContext,
  hosts: Host[],
  opts: Pick<RollbackOptions, "target" | "force" | "restoreDb">,
): Promise<RollbackPlan & { db?: RollbackDbCheck }> {
  const states = await gatherStates(ctx, ctx.pool, hosts);
  const badCurrent = badCurrentRefusal(states);
  if (badCurrent) throw new OperationError(`rollback refused:\n${badCurrent}`);
  const plan = planRollback({ env: ctx.env, hosts, states, requested: opts.target });
  if ("refuse" in plan) throw new OperationError(`rollback refused: ${plan.refuse}`);
  // The plan shows the schema check's outcome, and with --restore-db what would be lost (no --yes needed to look).
  const db = await checkRollbackSchema(ctx, states, plan, { ...opts, yes: true });
  return db ? { ...plan, db } : plan;
}

export async function applyRollback(ctx: RunContext, hosts: Host[], opts: RollbackOptions): Promise<OperationResult> {
  const pool = ctx.pool;
  const t0 = Date.now();
  pool.warm(hosts);
  const reads = gateReads(ctx, "rollback");
  const stateCmd = primaryStateCommand(ctx, hosts, reads);
  let history: string | undefined;
  return await withLock(
    ctx,
    pool,
    "rollback",
    opts.reason ?? "",
    opts.lockWaitMs,
    async (primaryOut) => {
      const states = await gatherStates(ctx, pool, hosts, knownPrimary(ctx, primaryOut, stateCmd), "check", reads);
      return rollbackUnderLock(ctx, hosts, states, opts, (h) => (history = h), t0);
    },
    stateCmd,
    () => history,
  );
}

/** An automatic rollback (verify window): recorded as such, with the failing check's evidence. */
export interface AutomaticRollback {
  evidence: string;
}

/**
 * The rollback itself, for a caller that already holds the environment lock (applyRollback, or a
 * deploy whose verify window failed). `setHistory` receives the history line to append on unlock.
 * An automatic rollback skips the hand-edits gate and `run:start` (the deploy's run is still the one
 * being reported) and is recorded with `automatic: true` and the evidence.
 */
export async function rollbackUnderLock(
  ctx: RunContext,
  hosts: Host[],
  states: Awaited<ReturnType<typeof gatherStates>>,
  opts: Omit<RollbackOptions, "lockWaitMs"> & { automatic?: AutomaticRollback },
  setHistory: (command: string) => void,
  /** When the operation started (its history line's duration). */
  t0 = Date.now(),
): Promise<OperationResult> {
  const primaryPaths = pathsFor(ctx.env.primary.deployTo);
  const auto = opts.automatic;
  const badCurrent = badCurrentRefusal(states);
  if (badCurrent) throw new OperationError(`rollback refused:\n${badCurrent}`);
  const plan = planRollback({ env: ctx.env, hosts, states, requested: opts.target });
  if ("refuse" in plan) throw new OperationError(`rollback refused: ${plan.refuse}`);
  // Files edited on a host in the release live now would be left behind silently: refuse unless --force.
  const edits = auto ? null : handEditsGate(ctx.env.name, await readHandEdits(ctx, hosts, states));
  if (edits && !edits.ok && !opts.force)
    throw new OperationError(
      `rollback refused by a gate:\n  hand-edits: ${edits.line}\n    → ${edits.hint!.replace(/--override hand-edits -m "why"/, "rollback --force")}`,
    );
  const db = await checkRollbackSchema(ctx, states, plan, opts);
  if (!auto) ctx.bus.emit({ type: "run:start", verb: "rollback", env: ctx.env.name, hosts: plan.hosts, releaseId: plan.target, commit: plan.toCommit });
  const entry = (outcome: HistoryEntry["outcome"]) =>
    historyEntry(ctx, t0, outcome, {
      verb: "rollback",
      ...(auto ? { automatic: true, evidence: auto.evidence.slice(0, 1000) } : {}),
      release: plan.target,
      fromRelease: plan.from,
      fromCommit: plan.fromCommit,
      toCommit: plan.toCommit,
      ...(opts.reason ? { message: opts.reason } : {}),
    });
  // The same engine as deploys: it tracks which hosts may have switched; nobody may fail alone.
  const run = new DeployRun(ctx, plan, hosts, states, { allowPartial: false, rolesMayFail: false }, [], []);
  const restoring = db?.restores.length ? db.restores : null;
  const restored: string[] = [];
  try {
    if (restoring) restored.push(...(await restoreForRollback(ctx, hosts, plan, restoring)));
    await run.walk();
    if (restoring) await pageDown(ctx, hosts);
    setHistory(rel.appendHistory(primaryPaths, entry("ok")).sh);
  } catch (e) {
    setHistory(rel.appendHistory(primaryPaths, entry(ctx.signal.aborted ? "interrupted" : "failed")).sh);
    // Each host is named with what recovery did there (switched back, not switched, or failed).
    const summary = await recover(ctx, plan, hosts, run.switched, false);
    const why = e instanceof StageError ? e.failed.map((f) => f.error.message).join("\n") : (e as Error).message;
    const dbNote = restoring
      ? `\nthe maintenance page stays up. ${restored.length ? `Database: ${restored.join("; ")}.` : "No database was restored."} Once fixed: \`slipway ${ctx.env.name} downtime end\``
      : "";
    throw new OperationError(`rollback failed: ${why}\n${summary.join("\n")}${dbNote}`);
  }
  return {
    releaseId: plan.target,
    commit: plan.toCommit,
    removed: {},
    summary: [...hosts.map((h) => `${h.name}: current → ${plan.target} (${plan.previous[h.name] ?? "none"} marked bad)`), ...restored],
  };
}
