/**
 * applyDeploy: check → lock → plan → stages → cleanup/history → unlock. Every host is prepared
 * before any `current` moves; a failure at or after the switch puts every switched host back.
 */
import { pathsFor } from "../config/paths.js";
import type { Host } from "../config/resolve.js";
import { appliesTo } from "../config/roles.js";
import * as rel from "../commands/release.js";
import type { HostScript, Section } from "../commands/script.js";
import { InterruptedError, OperationError, StepTimeoutError } from "../errors.js";
import { and } from "../commands/quote.js";
import { planDeploy, phaseSection, commandEnv, serviceRestarts, type DeployPlan, type Stage } from "../plan/deploy.js";
import { badCurrentRefusal, type HostState } from "../plan/state.js";
import type { HistoryEntry } from "../plan/host-input.js";
import { ExecutorPool, type RunContext } from "./context.js";
import { gatherReachable, gatherStates, knownPrimary, primaryStateCommand } from "./gather.js";
import { withLock } from "./lock.js";
import { sleep } from "./sleep.js";
import { ensurePresteps } from "./prestep.js";
import { configRevision, guardRefusal } from "./configpush.js";
import { resolveSource } from "./source.js";
import { runLocal, runScripts, StageError, uploadSource } from "./stages.js";

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
}

export interface OperationResult {
  releaseId: string;
  commit: string;
  summary: string[];
  removed: Record<string, string[]>;
  partial?: boolean;
}

export type { HistoryEntry } from "../plan/host-input.js";

/** Resolve, read state and plan without changing anything (`deploy --plan`). */
export async function previewDeploy(ctx: RunContext, hosts: Host[], opts: DeployOptions): Promise<DeployPlan> {
  const pool = new ExecutorPool(ctx.connect);
  try {
    const src = await resolveSource(ctx.env.source, opts.ref);
    const states = await gatherStates(ctx, pool, hosts);
    return planDeploy({ env: ctx.env, hosts, states, commit: src.commit, ref: src.ref, now: new Date(), by: ctx.by, toolVersion: ctx.toolVersion });
  } finally {
    await pool.closeAll(ctx.bus);
  }
}

/** A history line: who, when, how long and which tool, around what the operation says it did. */
export function historyEntry(ctx: RunContext, t0: number, outcome: HistoryEntry["outcome"], what: Omit<HistoryEntry, "at" | "env" | "by" | "outcome" | "durationMs" | "toolVersion">): HistoryEntry {
  return { at: new Date().toISOString(), env: ctx.env.name, by: ctx.by, outcome, durationMs: Date.now() - t0, toolVersion: ctx.toolVersion, ...what };
}

export function commitOf(state: HostState | undefined, id: string | null): string | null {
  if (!state || !id) return null;
  return state.releases.find((r) => r.id === id)?.manifest?.commit ?? null;
}

export async function applyDeploy(ctx: RunContext, hosts: Host[], opts: DeployOptions): Promise<OperationResult> {
  const pool = new ExecutorPool(ctx.connect);
  const t0 = Date.now();
  try {
    pool.warm(hosts);
    const verb = opts.privateDays !== undefined ? "setup-release" : "deploy";
    // Resume uses the interrupted deploy's commit; a --ref given with --resume is only compared to it.
    // A directory source is always listed again: its content hash must still be the recorded one.
    const src = opts.resume && !opts.ref && ctx.env.source.type !== "dir" ? null : await resolveSource(ctx.env.source, opts.ref);
    const stateCmd = primaryStateCommand(ctx, hosts);
    // The history entry is appended on the primary in the unlock round trip, whatever the outcome.
    let history: string | undefined;
    const primaryPaths = pathsFor(ctx.env.primary.deployTo);
    return await withLock(ctx, pool, verb, opts.reason ?? "", opts.lockWaitMs, async (primaryOut) => {
      const { states, unreachable } = await gatherReachable(ctx, pool, hosts, knownPrimary(ctx, primaryOut, stateCmd));
      // Hosts allowed to fail that cannot even be read are left out before planning; any other
      // unreachable host stops the deploy before anything changes.
      const lost = unreachable.filter((u) => u.host === ctx.env.primary.name || !(opts.allowPartial === true || isPartialHost(ctx, hosts.find((h) => h.name === u.host)!)));
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
      const plan = planDeploy({ env: ctx.env, hosts, states, commit, ref, now: new Date(), by: ctx.by, toolVersion: ctx.toolVersion, resume, hotfix: opts.hotfix ?? resume?.deploying.hotfix, privateDays: opts.privateDays });
      if (resume) ctx.bus.info(`resuming ${plan.releaseId} (${commit.slice(0, 12)}), started by ${resume.deploying.by} at ${resume.deploying.startedAt}`);
      ctx.bus.emit({ type: "run:start", verb, env: ctx.env.name, hosts: plan.hosts, releaseId: plan.releaseId, commit: plan.commit, ref: plan.ref });
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
        });
      const byName = new Map(hosts.map((h) => [h.name, h]));
      const active = new Set(plan.hosts);
      const dropped: { host: string; phase: string; error: Error }[] = [...unreadable];
      const tolerated = (name: string) => opts.allowPartial === true || isPartialHost(ctx, byName.get(name)!);
      // On resume, hosts already on the new release count as switched (a later failure puts them back).
      let switched: string[] = resume ? plan.hosts.filter((n) => states[n]?.current === plan.releaseId) : [];
      let restarted = false;
      let prestepsDone = false;
      const activeHosts = () => hosts.filter((h) => active.has(h.name));
      const skip = new Set<Stage>();
      try {
        for (const stage of plan.stages) {
          if (ctx.signal.aborted) throw new InterruptedError();
          if (stage.kind === "upload") {
            await runTolerant(() => uploadSource(ctx, pool, activeHosts(), plan.releaseId, plan.commit, states, src?.files), "fetch");
          } else if (stage.kind === "local") {
            await runLocal(ctx, stage.script);
          } else {
            // Required pre-steps gate everything after the build (also on resume, where the build may be skipped).
            if (!prestepsDone && (stage.phases.includes("migrate") || stage.phases.includes("switch"))) {
              prestepsDone = true;
              if (!plan.manifest.hotfix && opts.privateDays === undefined && ctx.env.presteps.some((x) => x.required)) {
                await ensurePresteps(ctx, pool, plan.commit, plan.releaseId, activeHosts());
              }
            }
            const label = stage.phases.join("+");
            const stageHosts = stage.hosts.filter((n) => active.has(n)).map((n) => byName.get(n)!);
            const next = plan.stages[plan.stages.indexOf(stage) + 1];
            if (stage.phases.includes("switch") && opts.batchSize && next?.kind === "hosts" && next.phases.includes("restart")) {
              // Rolling deploy: each batch is switched, restarted and checked before the next one.
              await rollingDeploy(stage, next, stageHosts);
              restarted = true;
              skip.add(next);
              continue;
            }
            if (skip.has(stage)) continue;
            await runTolerant(() => runScripts(ctx, pool, stageHosts, stage.scripts, label), label, stage.phases.includes("switch") ? stageHosts.map((h) => h.name) : null);
            if (stage.phases.includes("switch")) switched = stage.hosts.filter((n) => active.has(n));
            if (stage.phases.includes("restart")) restarted = true;
          }
        }
        history = and(rel.appendHistory(primaryPaths, entry(dropped.length ? "partial" : "ok")).sh, rel.clearDeploying(primaryPaths));
      } catch (e) {
        const interrupted = e instanceof InterruptedError || ctx.signal.aborted;
        if (e instanceof RolloutStopped) {
          history = and(rel.appendHistory(primaryPaths, entry("partial")).sh, rel.clearDeploying(primaryPaths));
          throw new OperationError(e.message);
        }
        history = and(rel.appendHistory(primaryPaths, entry(interrupted ? "interrupted" : "failed")).sh, rel.clearDeploying(primaryPaths));
        const summary = await recover(ctx, pool, plan, activeHosts(), switched, restarted || switched.length > 0);
        const why = e instanceof StageError ? e.failed.map((f) => f.error.message).join("\n") : (e as Error).message;
        throw new OperationError(`${interrupted ? "deploy interrupted" : "deploy failed"}: ${why}\n${summary.join("\n")}${droppedSummary(dropped, plan)}`);
      }

      /**
       * Switch, restart and check one batch at a time. A failed batch is switched back (and its
       * services restarted on the old release); with rollout.on_unhealthy: all, every switched host is.
       */
      async function rollingDeploy(sw: Extract<Stage, { kind: "hosts" }>, rs: Extract<Stage, { kind: "hosts" }>, stageHosts: Host[]): Promise<void> {
        const batches = splitBatches(stageHosts, opts.batchSize!);
        for (const [i, batch] of batches.entries()) {
          const names = batch.map((h) => h.name);
          if (batches.length > 1) ctx.bus.info(`rolling batch ${i + 1}/${batches.length}: ${names.join(", ")}`);
          await runTolerant(() => runScripts(ctx, pool, batch, sw.scripts, "switch+cleanup"), "switch+cleanup", names);
          switched = [...new Set([...switched, ...names.filter((n) => active.has(n))])];
          const restartHosts = batch.filter((h) => rs.hosts.includes(h.name) && active.has(h.name));
          if (restartHosts.length) {
            try {
              await runScripts(ctx, pool, restartHosts, rs.scripts, "restart+verify");
            } catch (e) {
              if (!(e instanceof StageError) || ctx.env.onUnhealthy === "all" || ctx.signal.aborted) throw e;
              const back = batch.filter((h) => active.has(h.name));
              const summary = await recover(ctx, pool, plan, back, back.map((h) => h.name), true);
              const done = switched.filter((n) => !names.includes(n));
              const untouched = stageHosts.filter((h) => !switched.includes(h.name)).map((h) => h.name);
              throw new RolloutStopped(
                `rollout stopped at batch ${i + 1}/${batches.length}: ${e.failed.map((f) => f.error.message).join("\n")}\n${summary.join("\n")}` +
                  `\n  on the new release ${plan.releaseId}: ${done.join(", ") || "(none)"}` +
                  `\n  not reached (still on their previous release): ${untouched.join(", ") || "(none)"}`,
              );
            }
          }
          if (i < batches.length - 1 && opts.batchWaitMs) await sleep(opts.batchWaitMs, ctx.signal);
        }
      }

      /**
       * Run a stage; hosts allowed to fail (--allow-partial or a role with allow_partial) are
       * dropped — switched back if they had switched — and the others go on. Any other failure
       * aborts the whole deploy.
       */
      async function runTolerant(fn: () => Promise<unknown>, phase: string, switchingHosts: string[] | null = null): Promise<void> {
        try {
          await fn();
        } catch (e) {
          if (!(e instanceof StageError) || ctx.signal.aborted) throw e;
          const hard = e.failed.filter((f) => !tolerated(f.host));
          const remaining = [...active].filter((n) => !e.failed.some((f) => f.host === n));
          // A host that timed out in the switch may or may not have switched: switching it back is
          // harmless (the previous release is there), leaving it on the new one is not.
          const maybeSwitched = e.failed.filter((f) => f.error instanceof StepTimeoutError).map((f) => f.host);
          if (switchingHosts) switched = switchingHosts.filter((n) => !e.failed.some((f) => f.host === n) || maybeSwitched.includes(n));
          if (hard.length || remaining.length === 0 || phase === "migrate") throw e;
          for (const f of e.failed) {
            active.delete(f.host);
            dropped.push({ host: f.host, phase, error: f.error });
            ctx.bus.warn(`${f.host} failed in ${phase} and is left out (partial deploy allowed): ${f.error.message.split("\n")[0]}`);
          }
          const wasSwitched = restarted || phase.includes("restart") ? e.failed.map((f) => f.host) : switchingHosts ? maybeSwitched : [];
          await recover(ctx, pool, plan, e.failed.map((f) => byName.get(f.host)!), wasSwitched, wasSwitched.length > 0);
        }
      }
      const removed = plan.removals;
      for (const [h, ids] of Object.entries(removed)) if (ids.length) ctx.bus.info(`removed ${ids.length} old release(s): ${ids.join(", ")}`, h);
      return {
        releaseId: plan.releaseId,
        commit: plan.commit,
        removed,
        partial: dropped.length > 0,
        summary: [...activeHosts().map((h) => `${h.name}: current → ${plan.releaseId}`), ...droppedSummary(dropped, plan).split("\n").filter(Boolean)],
      };
    }, stateCmd, () => history, opts.resume === true);
  } finally {
    await pool.closeAll(ctx.bus);
  }
}

/** Refuse to deploy from a config checkout older than the one that last pushed settings to these hosts. */
function driftGuard(ctx: RunContext, hosts: Host[], states: Record<string, HostState>, force: boolean): void {
  if (!hosts.some((h) => states[h.name]?.pushRecord)) return;
  const rev = configRevision(ctx.env.configDir);
  const refusals = hosts.map((h) => guardRefusal(states[h.name]?.pushRecord ?? null, rev, ctx.toolVersion, ctx.env.configDir, h.name)).filter((x): x is string => x !== null);
  if (!refusals.length) return;
  if (force) return ctx.bus.warn(`deploying past the drift guard (--force):
${refusals.join("\n")}`);
  throw new OperationError(`deploy refused (drift guard):
${refusals.map((r) => `  ${r}`).join("\n")}
update your checkout, or use --force`);
}

/**
 * What `--resume` continues: the deploy recorded on the primary. Refused when there is none, when
 * its commit differs from a --ref given now, or when hosts disagree about what is current.
 */
function resumeInfo(ctx: RunContext, states: Record<string, HostState>, hosts: Host[], wantCommit?: string) {
  const ps = states[ctx.env.primary.name];
  const dep = ps?.deploying;
  if (!dep) throw new OperationError(`nothing to resume: no unfinished deploy recorded on ${ctx.env.primary.name}`);
  if (wantCommit && wantCommit !== dep.commit && ctx.env.source.type === "dir") {
    throw new OperationError(
      `resume refused: ${ctx.env.source.path} changed since the interrupted deploy ${dep.release} started (content ${wantCommit.slice(0, 12)}, was ${dep.commit.slice(0, 12)}); ` +
        `hosts already on ${dep.release} would get other files under the same release id. Restore the directory, or deploy anew without --resume`,
    );
  }
  if (wantCommit && wantCommit !== dep.commit) {
    throw new OperationError(`resume refused: the interrupted deploy ${dep.release} is commit ${dep.commit.slice(0, 12)} (${dep.ref}), but --ref resolves to ${wantCommit.slice(0, 12)}`);
  }
  const odd = hosts.filter((h) => ![dep.previous, dep.release].includes(states[h.name]?.current ?? null));
  if (odd.length) {
    const seen = hosts.map((h) => `${h.name}=${states[h.name]?.current ?? "(none)"}`).join(", ");
    throw new OperationError(`resume refused: hosts disagree about what is current (expected ${dep.previous ?? "(none)"} or ${dep.release}): ${seen}`);
  }
  const manifest = ps.releases.find((r) => r.id === dep.release)?.manifest ?? null;
  return { release: dep.release, previous: dep.previous, manifest, deploying: dep };
}

/** A rolling deploy stopped by a failed batch; the hosts are in a stated, mixed state. */
class RolloutStopped extends Error {}

/** A host may fail without stopping the others when every one of its roles allows it. */
function isPartialHost(ctx: RunContext, h: Host): boolean {
  return h.roles.length > 0 && h.roles.every((r) => ctx.env.partialRoles.includes(r));
}

/** `--batch-size 2` or `--batch-size 25%` → consecutive batches of hosts. */
export function splitBatches<T>(items: T[], size: string): T[][] {
  const pct = /^(\d+)%$/.exec(size);
  const n = pct ? Math.max(1, Math.ceil((items.length * Number(pct[1])) / 100)) : Math.max(1, Number(size) || items.length);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
  return out;
}

function droppedSummary(dropped: { host: string; phase: string; error: Error }[], plan: DeployPlan): string {
  return dropped
    .map((d) =>
      d.phase === "check"
        ? `\n  ${d.host}: UNREACHABLE (left out, nothing changed there): ${d.error.message.split("\n")[0]}`
        : `\n  ${d.host}: FAILED in ${d.phase} (left out); current still ${plan.previous[d.host] ?? "(none)"}: ${d.error.message.split("\n")[0]}`,
    )
    .join("");
}

/**
 * After a failure: switch back hosts that were switched (re-running restart for the old release
 * when the new one was already restarted), mark the release failed, run on_failure hooks.
 * Runs with its own signal: an interrupt must not stop the clean-up.
 */
async function recover(ctx: RunContext, pool: ExecutorPool, plan: DeployPlan, hosts: Host[], switched: string[], rerunRestart: boolean): Promise<string[]> {
  const calm = new AbortController().signal;
  const summary: string[] = [];
  const switchedSet = new Set(switched);
  const scripts: Record<string, HostScript> = {};
  for (const h of hosts) {
    const p = pathsFor(h.deployTo);
    const prev = plan.previous[h.name] ?? null;
    const env = commandEnv(ctx.env, { SLIPWAY_RELEASE: prev ?? "", SLIPWAY_HOST: h.name, SLIPWAY_FAILED_RELEASE: plan.releaseId });
    // Marked failed first: a restart that fails during recovery must not leave the release `ok`
    // (it would become a rollback target that only some hosts have).
    // Recovery steps take milliseconds: a host that cannot do them in the switch's limit is stuck.
    const quick = ctx.env.timeouts.switch;
    const sections: Section[] = [{ phase: "cleanup", commands: [rel.setStatus(p, plan.releaseId, "failed")], timeoutMs: quick }];
    if (switchedSet.has(h.name)) {
      sections.push({ phase: "switch", commands: [prev ? rel.switchCurrent(p, prev) : rel.removeCurrent(p)], timeoutMs: quick });
      if (prev && rerunRestart) sections.push(...phaseSection(ctx.env, h, "restart", serviceRestarts(ctx.env, h), ctx.env.restart, p.current));
    }
    scripts[h.name] = { env, sections };
  }
  if (switched.length) ctx.bus.warn(`switching ${switched.length} host(s) back to the previous release`);
  const recoveryFailed = new Map<string, string>();
  try {
    await runScripts(ctx, pool, hosts, scripts, "recover", calm);
  } catch (e) {
    if (e instanceof StageError) for (const f of e.failed) recoveryFailed.set(f.host, f.error.message.split("\n")[0]!);
    ctx.bus.warn(`recovery incomplete: ${(e as Error).message}`);
  }
  for (const h of hosts) {
    const prev = plan.previous[h.name] ?? null;
    const broke = recoveryFailed.get(h.name);
    // The summary says only what is known: a host whose recovery failed is named as such.
    if (broke) summary.push(`  ${h.name}: RECOVERY FAILED (${broke}); check current and services on this host`);
    else if (switchedSet.has(h.name)) summary.push(`  ${h.name}: switched back to ${prev ?? "(no release: current removed)"}`);
    else summary.push(`  ${h.name}: not switched; current still ${prev ?? "(none)"}`);
  }
  summary.push(`  release ${plan.releaseId} marked failed`);
  await runFailureHooks(ctx, pool, hosts, { SLIPWAY_FAILED_RELEASE: plan.releaseId });
  return summary;
}

export async function runFailureHooks(ctx: RunContext, pool: ExecutorPool, hosts: Host[], extra: Record<string, string>): Promise<void> {
  const hooks = ctx.env.hooks.onFailure;
  if (!hooks.length) return;
  const calm = new AbortController().signal;
  const local = hooks.filter((c) => c.local);
  const scripts: Record<string, HostScript> = {};
  for (const h of hosts) {
    const cmds = hooks.filter((c) => !c.local && appliesTo(c.roles, h));
    if (cmds.length) scripts[h.name] = { env: commandEnv(ctx.env, { ...extra, SLIPWAY_HOST: h.name }), sections: [{ phase: "on_failure", cwd: pathsFor(h.deployTo).root, commands: cmds.map((c) => ({ sh: c.run, display: c.run })) }] };
  }
  try {
    if (Object.keys(scripts).length) await runScripts(ctx, pool, hosts.filter((h) => scripts[h.name]), scripts, "on_failure", calm);
    if (local.length) await runLocal(ctx, { env: commandEnv(ctx.env, extra), sections: [{ phase: "on_failure", cwd: ctx.env.configDir, commands: local.map((c) => ({ sh: c.run, display: c.run })) }] }, calm);
  } catch (e) {
    ctx.bus.warn(`on_failure hook failed: ${(e as Error).message}`);
  }
}
