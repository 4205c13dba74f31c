/** Rollback: walk the plan from planRollback under the lock; a failure puts every switched host back. */
import { pathsFor } from "../config/paths.js";
import type { Host } from "../config/resolve.js";
import * as rel from "../commands/release.js";
import { InterruptedError, OperationError, StepTimeoutError } from "../errors.js";
import { planRollback, type RollbackPlan } from "../plan/rollback.js";
import { badCurrentRefusal } from "../plan/state.js";
import type { RunContext } from "./context.js";
import type { OperationResult } from "./deploy.js";
import { historyEntry, type HistoryEntry } from "./history.js";
import { runFailureHooks } from "./recover.js";
import { gatherStates, knownPrimary, primaryStateCommand } from "./gather.js";
import { withLock } from "./lock.js";
import { runScripts, StageError } from "./stages.js";

export { chooseRollback } from "../plan/rollback.js";

export interface RollbackOptions {
  target?: string;
  lockWaitMs: number;
  reason?: string;
}

/** Read the hosts' state and plan, changing nothing (`rollback --plan`). */
export async function previewRollback(ctx: RunContext, hosts: Host[], opts: Pick<RollbackOptions, "target">): Promise<RollbackPlan> {
  const states = await gatherStates(ctx, ctx.pool, hosts);
  const badCurrent = badCurrentRefusal(states);
  if (badCurrent) throw new OperationError(`rollback refused:\n${badCurrent}`);
  const plan = planRollback({ env: ctx.env, hosts, states, requested: opts.target });
  if ("refuse" in plan) throw new OperationError(`rollback refused: ${plan.refuse}`);
  return plan;
}

export async function applyRollback(ctx: RunContext, hosts: Host[], opts: RollbackOptions): Promise<OperationResult> {
  const pool = ctx.pool;
  const t0 = Date.now();
  pool.warm(hosts);
  const stateCmd = primaryStateCommand(ctx, hosts);
  let history: string | undefined;
  const primaryPaths = pathsFor(ctx.env.primary.deployTo);
  return await withLock(
    ctx,
    pool,
    "rollback",
    opts.reason ?? "",
    opts.lockWaitMs,
    async (primaryOut) => {
      const states = await gatherStates(ctx, pool, hosts, knownPrimary(ctx, primaryOut, stateCmd));
      const badCurrent = badCurrentRefusal(states);
      if (badCurrent) throw new OperationError(`rollback refused:\n${badCurrent}`);
      const plan = planRollback({ env: ctx.env, hosts, states, requested: opts.target });
      if ("refuse" in plan) throw new OperationError(`rollback refused: ${plan.refuse}`);
      ctx.bus.emit({ type: "run:start", verb: "rollback", env: ctx.env.name, hosts: plan.hosts, releaseId: plan.target, commit: plan.toCommit });
      const entry = (outcome: HistoryEntry["outcome"]) =>
        historyEntry(ctx, t0, outcome, {
          verb: "rollback",
          release: plan.target,
          fromRelease: plan.from,
          fromCommit: plan.fromCommit,
          toCommit: plan.toCommit,
          ...(opts.reason ? { message: opts.reason } : {}),
        });
      // Hosts whose `current` may have moved: recovery puts exactly these back.
      let switched: string[] = [];
      try {
        for (const stage of plan.stages) {
          if (ctx.signal.aborted) throw new InterruptedError();
          const stageHosts = hosts.filter((h) => stage.hosts.includes(h.name));
          const isSwitch = stage.phases.includes("switch");
          try {
            await runScripts(ctx, pool, stageHosts, stage.scripts, stage.phases.join("+"));
            if (isSwitch) switched = stage.hosts;
          } catch (e) {
            // A host that timed out may have switched: it is switched back with the others.
            if (isSwitch && e instanceof StageError)
              switched = stage.hosts.filter((n) => !e.failed.some((f) => f.host === n && !(f.error instanceof StepTimeoutError)));
            throw e;
          }
        }
        history = rel.appendHistory(primaryPaths, entry("ok")).sh;
      } catch (e) {
        history = rel.appendHistory(primaryPaths, entry(ctx.signal.aborted ? "interrupted" : "failed")).sh;
        await recover(ctx, hosts, plan, switched);
        const why = e instanceof StageError ? e.failed.map((f) => f.error.message).join("\n") : (e as Error).message;
        throw new OperationError(`rollback failed: ${why}\n  every host is back on its previous current release`);
      }
      return {
        releaseId: plan.target,
        commit: plan.toCommit,
        removed: {},
        summary: hosts.map((h) => `${h.name}: current → ${plan.target} (${plan.previous[h.name] ?? "none"} marked bad)`),
      };
    },
    stateCmd,
    () => history,
  );
}

/** Put switched hosts back (with its own signal: Ctrl-C must not stop it half-way), then run on_failure hooks. */
async function recover(ctx: RunContext, hosts: Host[], plan: RollbackPlan, switched: string[]): Promise<void> {
  const calm = new AbortController().signal;
  const back = hosts.filter((h) => switched.includes(h.name) && plan.recovery[h.name]);
  if (switched.length) ctx.bus.warn(`rollback failed; switching ${switched.length} host(s) back to ${plan.from}`);
  if (back.length)
    await runScripts(ctx, ctx.pool, back, plan.recovery, "recover", calm).catch((err) => ctx.bus.warn(`recovery incomplete: ${(err as Error).message}`));
  await runFailureHooks(ctx, hosts, { SLIPWAY_FAILED_RELEASE: plan.target });
}
