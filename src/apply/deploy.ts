/**
 * applyDeploy: check → lock → plan → stages → cleanup/history → unlock. Every host is prepared
 * before any `current` moves; a failure at or after the switch puts every switched host back.
 */
import { pathsFor } from "../config/paths.js";
import type { Host } from "../config/resolve.js";
import * as rel from "../commands/release.js";
import { and } from "../commands/quote.js";
import { InterruptedError, OperationError } from "../errors.js";
import { planDeploy, type DeployPlan } from "../plan/deploy.js";
import { badCurrentRefusal } from "../plan/state.js";
import type { RunContext } from "./context.js";
import { DeployRun, RolloutStopped } from "./deploy-run.js";
import { gatherReachable, gatherStates, knownPrimary, primaryStateCommand } from "./gather.js";
import { driftGuard, isPartialHost, resumeInfo } from "./guards.js";
import { commitOf, historyEntry, type HistoryEntry } from "./history.js";
import { withLock } from "./lock.js";
import { recover } from "./recover.js";
import { commitTime, resolveSource } from "./source.js";
import { prefetchMirror } from "./mirror.js";
import { StageError } from "./stages.js";
import { DbSteps, gatherDatabases } from "./deploy-db.js";
import { gatesAtSwitch, preflight } from "./preflight.js";
import { gateReads } from "./preflight/reads.js";
import { gateRecord, type GateResult } from "../plan/preflight.js";
import { afterTaskLines } from "../plan/tasks.js";
import { verifyOrRevert } from "./verify-window.js";
import { startWatchers } from "./watch.js";

export interface DeployOptions {
  ref?: string;
  lockWaitMs: number;
  reason?: string;
  /** Continue on healthy hosts when some fail (also per role: roles.<r>.allow_partial). */
  allowPartial?: boolean;
  /** Restart in rolling batches: a host count, or a percentage like "25%". */
  batchSize?: string;
  batchWaitMs?: number;
  /** Continue the environment's interrupted deploy (same release and commit). */
  resume?: boolean;
  hotfix?: boolean;
  /** setup-release: build a private release kept this many days; never switched to. */
  privateDays?: number;
  /** Deploy even though the drift guard says this checkout is older than what the hosts got. */
  force?: boolean;
  /** A deploy that needs downtime may bring the maintenance page up before migrate and down after the checks. */
  downtime?: boolean;
  /** Gates a failure of which is passed, recorded with who and `reason` (`--override ci,windows`). */
  overrides?: string[];
  /** `promote --from`: recorded in the history line. */
  promotedFrom?: { env: string; release: string; commit: string };
  /** Verify window: return at the switch, leaving detached watchers on the hosts (they hold the lock). */
  noWait?: boolean;
}

export interface OperationResult {
  releaseId: string;
  commit: string;
  summary: string[];
  removed: Record<string, string[]>;
  partial?: boolean;
}

export type { HistoryEntry } from "./history.js";

/** Resolve, read state and plan without changing anything (`deploy --plan`). */
export async function previewDeploy(ctx: RunContext, hosts: Host[], opts: DeployOptions): Promise<DeployPlan> {
  const pool = ctx.pool;
  const src = await resolveSource(ctx.env.source, opts.ref);
  const states = await gatherStates(ctx, pool, hosts);
  const ps = states[ctx.env.primary.name];
  const db = await gatherDatabases(ctx, hosts, src.commit, commitOf(ps, ps?.current ?? null), { downtime: opts.downtime, preview: true });
  const needsDowntime = db?.downtime.class === "needs downtime" || opts.downtime === true;
  const gates = await preflight(ctx, hosts, { verb: "deploy", commit: src.commit, ref: src.ref, needsDowntime, states }, "start", {
    overrides: opts.overrides ?? [],
    reason: opts.reason,
    preview: true,
  });
  return planDeploy({
    gates: { results: gates, atSwitch: gatesAtSwitch(ctx) },
    databases: db && { inputs: db.inputs, downtime: db.downtime },
    env: ctx.env,
    hosts,
    states,
    commit: src.commit,
    ref: src.ref,
    now: new Date(),
    by: ctx.by,
    toolVersion: ctx.toolVersion,
    batchSize: opts.batchSize,
    batchWaitMs: opts.batchWaitMs,
  });
}

export async function applyDeploy(ctx: RunContext, hosts: Host[], opts: DeployOptions): Promise<OperationResult> {
  const pool = ctx.pool;
  const t0 = Date.now();
  pool.warm(hosts);
  const verb = opts.privateDays !== undefined ? "setup-release" : "deploy";
  // Resume uses the interrupted deploy's commit; a --ref given with --resume is only compared to it.
  // A directory source is always listed again: its content hash must still be the recorded one.
  // The ref is resolved while the lock is taken (asking the git server costs a round trip of its
  // own, often to another network); a ref that is not there fails the deploy under the lock, which
  // is then released, before anything is read or changed.
  const resolving = opts.resume && !opts.ref && ctx.env.source.type !== "dir" ? Promise.resolve(null) : resolveSource(ctx.env.source, opts.ref);
  resolving.catch(() => {}); // awaited under the lock; never an unhandled rejection before that
  // Distributions that build here fetch the commit while the hosts are locked and read.
  void resolving.then(
    (s) => s && prefetchMirror(ctx, s.commit),
    () => {},
  );
  // The gates' host reads ride in the state round trip (the primary's with the lock).
  const reads = opts.privateDays === undefined ? gateReads(ctx, "deploy") : undefined;
  const stateCmd = primaryStateCommand(ctx, hosts, reads);
  // The history entry is appended on the primary in the unlock round trip, whatever the outcome.
  let history: string | undefined;
  const primaryPaths = pathsFor(ctx.env.primary.deployTo);
  return await withLock(
    ctx,
    pool,
    verb,
    opts.reason ?? "",
    opts.lockWaitMs,
    async (primaryOut, lock) => {
      const src = await resolving;
      const { states, unreachable } = await gatherReachable(ctx, pool, hosts, knownPrimary(ctx, primaryOut, stateCmd), "check", reads);
      // Hosts allowed to fail that cannot even be read are left out before planning; any other
      // unreachable host stops the deploy before anything changes.
      const lost = unreachable.filter(
        (u) => u.host === ctx.env.primary.name || !(opts.allowPartial === true || isPartialHost(ctx, hosts.find((h) => h.name === u.host)!)),
      );
      if (lost.length || unreachable.length === hosts.length) throw new OperationError(unreachable.map((f) => `${f.host}: ${f.error.message}`).join("\n"));
      const unreadable = unreachable.map((u) => ({ host: u.host, phase: "check", error: u.error }));
      for (const u of unreadable) ctx.bus.warn(`${u.host} cannot be read and is left out (partial deploy allowed): ${u.error.message.split("\n")[0]}`);
      hosts = hosts.filter((h) => states[h.name]);
      const badCurrent = badCurrentRefusal(states);
      if (badCurrent) throw new OperationError(`deploy refused:\n${badCurrent}`);
      driftGuard(ctx, hosts, states, opts.force === true);
      const resume = opts.resume ? resumeInfo(ctx, states, hosts, src?.commit) : undefined;
      const commit = resume?.deploying.commit ?? src!.commit;
      const ref = resume?.deploying.ref ?? src!.ref;
      // Read beside the gates (a local git call, never a fetch); null becomes "lead time unknown".
      const committed = commitTime(ctx.env.source, commit);
      const hotfix = opts.hotfix ?? resume?.deploying.hotfix;
      const ps = states[ctx.env.primary.name];
      const db =
        hotfix || opts.privateDays !== undefined
          ? undefined
          : await gatherDatabases(ctx, hosts, commit, commitOf(ps, resume ? resume.previous : (ps?.current ?? null)), { downtime: opts.downtime });
      // Every gate before anything is built (under the lock, so two control machines see the same evidence).
      const gateInput = { verb: "deploy" as const, commit, ref, needsDowntime: db?.downtime.class === "needs downtime" || opts.downtime === true, states };
      const gates =
        opts.privateDays !== undefined ? [] : await preflight(ctx, hosts, gateInput, "start", { overrides: opts.overrides ?? [], reason: opts.reason });
      const plan = planDeploy({
        gates: { results: gates, atSwitch: opts.privateDays === undefined && gatesAtSwitch(ctx) },
        databases: db && { inputs: db.inputs, downtime: db.downtime },
        env: ctx.env,
        hosts,
        states,
        commit,
        ref,
        now: new Date(),
        by: ctx.by,
        toolVersion: ctx.toolVersion,
        resume,
        hotfix,
        privateDays: opts.privateDays,
        batchSize: opts.batchSize,
        batchWaitMs: opts.batchWaitMs,
      });
      if (resume) ctx.bus.info(`resuming ${plan.releaseId} (${commit.slice(0, 12)}), started by ${resume.deploying.by} at ${resume.deploying.startedAt}`);
      const commitAt = await committed;
      ctx.bus.emit({
        type: "run:start",
        verb,
        env: ctx.env.name,
        hosts: plan.hosts,
        releaseId: plan.releaseId,
        commit: plan.commit,
        ref: plan.ref,
        ...(commitAt ? { commitTime: commitAt } : {}),
      });
      const primaryState = states[plan.primary];
      const entry = (outcome: HistoryEntry["outcome"]) =>
        historyEntry(ctx, t0, outcome, {
          verb,
          ...(plan.manifest.hotfix ? { hotfix: true } : {}),
          ...(resume ? { resumed: true } : {}),
          release: plan.releaseId,
          fromRelease: plan.previous[plan.primary] ?? null,
          fromCommit: commitOf(primaryState, plan.previous[plan.primary] ?? null),
          toCommit: plan.commit,
          ...(opts.reason ? { message: opts.reason } : {}),
          ...(opts.promotedFrom ? { promotedFrom: opts.promotedFrom } : {}),
          ...(Object.keys(steps.backups).length ? { backups: steps.backups } : {}),
          ...(gates.length || switchGates.length ? { gates: gateRecord([...gates, ...switchGates]) } : {}),
        });
      const steps: DbSteps = new DbSteps(ctx, plan, (): Host[] => run.activeHosts(), db?.statuses);
      const switchGates: GateResult[] = [];
      // On resume, hosts already on the new release count as switched (a later failure puts them back).
      const run: DeployRun = new DeployRun(
        ctx,
        plan,
        hosts,
        states,
        {
          allowPartial: opts.allowPartial,
          files: src?.files,
          steps: async (st) => {
            if (st.kind !== "preflight") return steps.run(st);
            switchGates.push(...(await preflight(ctx, run.activeHosts(), gateInput, "switch", { overrides: opts.overrides ?? [], reason: opts.reason })));
          },
        },
        unreadable,
        resume ? plan.hosts.filter((n) => states[n]?.current === plan.releaseId) : [],
      );
      const finish = (outcome: HistoryEntry["outcome"]) =>
        (history = and(rel.appendHistory(primaryPaths, entry(outcome)).sh, rel.clearDeploying(primaryPaths)));
      try {
        await run.walk();
        finish(run.dropped.length ? "partial" : "ok");
      } catch (e) {
        if (e instanceof RolloutStopped) {
          finish("partial");
          throw new OperationError(e.message);
        }
        const interrupted = e instanceof InterruptedError || ctx.signal.aborted;
        finish(interrupted ? "interrupted" : "failed");
        const summary = await recover(ctx, plan, run.activeHosts(), run.switched, run.restarted || run.switched.length > 0);
        const why = e instanceof StageError ? e.failed.map((f) => f.error.message).join("\n") : (e as Error).message;
        const page =
          plan.db?.downtime.action === "bring-up"
            ? `\nthe maintenance page stays up (services may be stopped): once fixed, \`slipway ${ctx.env.name} downtime end\``
            : "";
        throw new OperationError(`${interrupted ? "deploy interrupted" : "deploy failed"}: ${why}\n${summary.join("\n")}${run.droppedSummary()}${page}`);
      }
      // The verify window runs still under the lock (a failing check reverts and throws), or with
      // --no-wait in detached watchers that take the lock over.
      const verifyWindow = opts.privateDays === undefined ? ctx.env.verifyWindow : null;
      const released = { id: plan.releaseId, previous: plan.previous[plan.primary] ?? null };
      const setHistory = (h: string | undefined) => (history = h);
      // The primary's watcher holds the lock and writes history: without the primary, wait here instead.
      const detach = opts.noWait === true && run.activeHosts().some((h) => h.name === ctx.env.primary.name);
      if (opts.noWait && verifyWindow && !detach)
        ctx.bus.warn(`--no-wait needs the primary ${ctx.env.primary.name} in the deploy: waiting for the verify window here`);
      const watching = verifyWindow && detach ? await startWatchers(ctx, run.activeHosts(), verifyWindow, released, lock, history!, setHistory) : [];
      if (verifyWindow && !detach) await verifyOrRevert(ctx, run.activeHosts(), verifyWindow, released, history!, setHistory);
      for (const [h, ids] of Object.entries(plan.removals)) if (ids.length) ctx.bus.info(`removed ${ids.length} old release(s): ${ids.join(", ")}`, h);
      return {
        releaseId: plan.releaseId,
        commit: plan.commit,
        removed: plan.removals,
        partial: run.dropped.length > 0,
        summary: [
          ...run.activeHosts().map((h) => `${h.name}: current → ${plan.releaseId}`),
          ...run.droppedSummary().split("\n").filter(Boolean),
          ...afterTaskLines(gates, ctx.env.name),
          ...watching,
        ],
      };
    },
    stateCmd,
    () => history,
    opts.resume === true,
  );
}
