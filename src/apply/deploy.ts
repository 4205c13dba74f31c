/**
 * applyDeploy: check → lock → plan → stages → cleanup/history → unlock. Every host is prepared
 * before any `current` moves; a failure at or after the switch puts every switched host back.
 */
import { pathsFor } from "../config/paths.js";
import type { Host } from "../config/resolve.js";
import * as rel from "../commands/release.js";
import type { HostScript } from "../commands/script.js";
import { InterruptedError, OperationError } from "../errors.js";
import { planDeploy, phaseSection, commandEnv, type DeployPlan } from "../plan/deploy.js";
import type { HostState } from "../plan/state.js";
import { ExecutorPool, type RunContext } from "./context.js";
import { gatherStates } from "./gather.js";
import { withLock } from "./lock.js";
import { resolveSource } from "./source.js";
import { runLocal, runScripts, StageError, uploadDir } from "./stages.js";

export interface DeployOptions {
  ref?: string;
  lockWaitMs: number;
  reason?: string;
}

export interface OperationResult {
  releaseId: string;
  commit: string;
  summary: string[];
  removed: Record<string, string[]>;
}

export interface HistoryEntry {
  at: string;
  verb: "deploy" | "rollback";
  env: string;
  release: string;
  fromRelease: string | null;
  fromCommit: string | null;
  toCommit: string;
  by: string;
  outcome: "ok" | "failed" | "interrupted";
  durationMs: number;
  toolVersion: string;
}

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

export function commitOf(state: HostState | undefined, id: string | null): string | null {
  if (!state || !id) return null;
  return state.releases.find((r) => r.id === id)?.manifest?.commit ?? null;
}

export async function applyDeploy(ctx: RunContext, hosts: Host[], opts: DeployOptions): Promise<OperationResult> {
  const pool = new ExecutorPool(ctx.connect);
  const t0 = Date.now();
  try {
    const src = await resolveSource(ctx.env.source, opts.ref);
    return await withLock(ctx, pool, "deploy", opts.reason ?? "", opts.lockWaitMs, async () => {
      const states = await gatherStates(ctx, pool, hosts);
      const plan = planDeploy({ env: ctx.env, hosts, states, commit: src.commit, ref: src.ref, now: new Date(), by: ctx.by, toolVersion: ctx.toolVersion });
      ctx.bus.emit({ type: "run:start", verb: "deploy", env: ctx.env.name, hosts: plan.hosts, releaseId: plan.releaseId, commit: plan.commit, ref: plan.ref });
      const primaryState = states[plan.primary];
      const entry = (outcome: HistoryEntry["outcome"]): HistoryEntry => ({
        at: new Date().toISOString(),
        verb: "deploy",
        env: ctx.env.name,
        release: plan.releaseId,
        fromRelease: plan.previous[plan.primary] ?? null,
        fromCommit: commitOf(primaryState, plan.previous[plan.primary] ?? null),
        toCommit: plan.commit,
        by: ctx.by,
        outcome,
        durationMs: Date.now() - t0,
        toolVersion: ctx.toolVersion,
      });
      const byName = new Map(hosts.map((h) => [h.name, h]));
      let switched: string[] = [];
      let restarted = false;
      try {
        for (const stage of plan.stages) {
          if (ctx.signal.aborted) throw new InterruptedError();
          if (stage.kind === "upload") {
            if (ctx.env.source.type === "dir") await uploadDir(ctx, pool, hosts, ctx.env.source.path, plan.releaseId);
          } else if (stage.kind === "local") {
            await runLocal(ctx, stage.script);
          } else {
            const stageHosts = stage.hosts.map((n) => byName.get(n)!);
            const scripts = stage.phases.includes("cleanup") ? withHistory(stage.scripts, hosts, entry("ok")) : stage.scripts;
            try {
              await runScripts(ctx, pool, stageHosts, scripts, stage.phases.join("+"));
            } catch (e) {
              if (stage.phases.includes("switch") && e instanceof StageError) {
                const bad = new Set(e.failed.map((f) => f.host));
                switched = stage.hosts.filter((n) => !bad.has(n));
              }
              if (stage.phases.includes("cleanup")) {
                // The release is live and healthy; a cleanup failure is reported, not undone.
                ctx.bus.warn(`cleanup failed: ${(e as Error).message}`);
                continue;
              }
              throw e;
            }
            if (stage.phases.includes("switch")) switched = [...stage.hosts];
            if (stage.phases.includes("restart")) restarted = true;
          }
        }
        if (!plan.stages.some((s) => s.kind === "hosts" && s.phases.includes("cleanup"))) {
          await runScripts(ctx, pool, hosts, withHistory({}, hosts, entry("ok")), "cleanup").catch((e) => ctx.bus.warn(`history: ${(e as Error).message}`));
        }
      } catch (e) {
        const interrupted = e instanceof InterruptedError || ctx.signal.aborted;
        const summary = await recover(ctx, pool, plan, hosts, switched, restarted || switched.length > 0, entry(interrupted ? "interrupted" : "failed"));
        const why = e instanceof StageError ? e.failed.map((f) => f.error.message).join("\n") : (e as Error).message;
        throw new OperationError(`${interrupted ? "deploy interrupted" : "deploy failed"}: ${why}\n${summary.join("\n")}`);
      }
      const removed = plan.removals;
      for (const [h, ids] of Object.entries(removed)) if (ids.length) ctx.bus.info(`removed ${ids.length} old release(s): ${ids.join(", ")}`, h);
      return {
        releaseId: plan.releaseId,
        commit: plan.commit,
        removed,
        summary: hosts.map((h) => `${h.name}: current → ${plan.releaseId}`),
      };
    });
  } finally {
    await pool.closeAll(ctx.bus);
  }
}

function withHistory(scripts: Record<string, HostScript>, hosts: Host[], entry: HistoryEntry): Record<string, HostScript> {
  const out: Record<string, HostScript> = {};
  for (const h of hosts) {
    const s = scripts[h.name] ?? { sections: [], env: {} };
    out[h.name] = { env: s.env, sections: [...s.sections, { phase: "cleanup", commands: [rel.appendHistory(pathsFor(h.deployTo), entry)] }] };
  }
  return out;
}

/**
 * After a failure: switch back hosts that were switched (re-running restart for the old release
 * when the new one was already restarted), mark the release failed, log it, run on_failure hooks.
 * Runs with its own signal: an interrupt must not stop the clean-up.
 */
async function recover(ctx: RunContext, pool: ExecutorPool, plan: DeployPlan, hosts: Host[], switched: string[], rerunRestart: boolean, entry: HistoryEntry): Promise<string[]> {
  const calm = new AbortController().signal;
  const summary: string[] = [];
  const switchedSet = new Set(switched);
  const scripts: Record<string, HostScript> = {};
  for (const h of hosts) {
    const p = pathsFor(h.deployTo);
    const prev = plan.previous[h.name] ?? null;
    const env = commandEnv(ctx.env, { SLIPWAY_RELEASE: prev ?? "", SLIPWAY_HOST: h.name, SLIPWAY_FAILED_RELEASE: plan.releaseId });
    const sections = [];
    if (switchedSet.has(h.name)) {
      sections.push({ phase: "switch", commands: [prev ? rel.switchCurrent(p, prev) : rel.removeCurrent(p)] });
      if (prev && rerunRestart) sections.push(...phaseSection(ctx.env, h, "restart", [], ctx.env.restart, p.current));
    }
    sections.push({ phase: "cleanup", commands: [rel.setStatus(p, plan.releaseId, "failed"), rel.appendHistory(p, entry)] });
    scripts[h.name] = { env, sections };
  }
  if (switched.length) ctx.bus.warn(`switching ${switched.length} host(s) back to the previous release`);
  try {
    await runScripts(ctx, pool, hosts, scripts, "recover", calm);
  } catch (e) {
    ctx.bus.warn(`recovery incomplete: ${(e as Error).message}`);
  }
  for (const h of hosts) {
    const prev = plan.previous[h.name] ?? null;
    if (switchedSet.has(h.name)) summary.push(`  ${h.name}: switched back to ${prev ?? "(no release: current removed)"}`);
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
    const cmds = hooks.filter((c) => !c.local && (!c.roles || c.roles.some((r) => h.roles.includes(r))));
    if (cmds.length) scripts[h.name] = { env: commandEnv(ctx.env, { ...extra, SLIPWAY_HOST: h.name }), sections: [{ phase: "on_failure", cwd: pathsFor(h.deployTo).root, commands: cmds.map((c) => ({ sh: c.run, display: c.run })) }] };
  }
  try {
    if (Object.keys(scripts).length) await runScripts(ctx, pool, hosts.filter((h) => scripts[h.name]), scripts, "on_failure", calm);
    if (local.length) await runLocal(ctx, { env: commandEnv(ctx.env, extra), sections: [{ phase: "on_failure", cwd: ctx.env.configDir, commands: local.map((c) => ({ sh: c.run, display: c.run })) }] }, calm);
  } catch (e) {
    ctx.bus.warn(`on_failure hook failed: ${(e as Error).message}`);
  }
}
