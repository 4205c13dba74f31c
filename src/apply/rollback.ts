/** Rollback: switch every host to the previous good release (or a named one) and mark the old one bad. */
import { pathsFor } from "../config/paths.js";
import type { Host } from "../config/resolve.js";
import * as rel from "../commands/release.js";
import type { HostScript } from "../commands/script.js";
import { InterruptedError, OperationError, StepTimeoutError } from "../errors.js";
import { commandEnv, phaseSection, serviceRestarts } from "../plan/deploy.js";
import { badCurrentRefusal, rollbackCandidates, type HostState } from "../plan/state.js";
import type { RunContext } from "./context.js";
import { commitOf, historyEntry, runFailureHooks, type HistoryEntry, type OperationResult } from "./deploy.js";
import { gatherStates, knownPrimary, primaryStateCommand } from "./gather.js";
import { withLock } from "./lock.js";
import { runScripts, StageError } from "./stages.js";

export interface RollbackOptions {
  target?: string;
  lockWaitMs: number;
  reason?: string;
}

/** Pure: pick the target, or explain why there is nothing to roll back to. */
export function chooseRollback(states: Record<string, HostState>, primary: string, requested?: string): { target: string; from: string } | { refuse: string } {
  const ps = states[primary];
  if (!ps || !ps.current) return { refuse: `nothing to roll back: ${primary} has no current release` };
  const from = ps.current;
  let target = requested;
  if (target === undefined) {
    const cand = rollbackCandidates(ps, from)[0];
    if (!cand) {
      const others = ps.releases.filter((r) => r.id !== from).map((r) => `${r.id} (${r.status})`);
      return { refuse: `nothing to roll back to: no good release older than ${from} on ${primary}${others.length ? `; other releases: ${others.join(", ")}` : ""}` };
    }
    target = cand.id;
  }
  if (target === from) return { refuse: `${target} is already current` };
  for (const [host, st] of Object.entries(states)) {
    const r = st.releases.find((x) => x.id === target);
    if (!r) return { refuse: `release ${target} does not exist on ${host}` };
    if (r.status === "failed" || r.status === "building" || r.status === "unknown") return { refuse: `release ${target} on ${host} is ${r.status}; refusing to make it current` };
  }
  return { target, from };
}

export async function applyRollback(ctx: RunContext, hosts: Host[], opts: RollbackOptions): Promise<OperationResult> {
  const pool = ctx.pool;
  const t0 = Date.now();
  pool.warm(hosts);
  const stateCmd = primaryStateCommand(ctx, hosts);
  let history: string | undefined;
  const primaryPaths = pathsFor(ctx.env.primary.deployTo);
  return await withLock(ctx, pool, "rollback", opts.reason ?? "", opts.lockWaitMs, async (primaryOut) => {
    const states = await gatherStates(ctx, pool, hosts, knownPrimary(ctx, primaryOut, stateCmd));
    const primary = hosts.find((h) => h.name === ctx.env.primary.name) ?? hosts[0]!;
    const badCurrent = badCurrentRefusal(states);
    if (badCurrent) throw new OperationError(`rollback refused:\n${badCurrent}`);
    const choice = chooseRollback(states, primary.name, opts.target);
    if ("refuse" in choice) throw new OperationError(`rollback refused: ${choice.refuse}`);
    const { target, from } = choice;
    const toCommit = commitOf(states[primary.name], target) ?? "unknown";
    ctx.bus.emit({ type: "run:start", verb: "rollback", env: ctx.env.name, hosts: hosts.map((h) => h.name), releaseId: target, commit: toCommit });
    const entry = (outcome: HistoryEntry["outcome"]) =>
      historyEntry(ctx, t0, outcome, { verb: "rollback", release: target, fromRelease: from, fromCommit: commitOf(states[primary.name], from), toCommit, ...(opts.reason ? { message: opts.reason } : {}) });
    const prevOf = (h: Host) => states[h.name]?.current ?? null;
    const envFor = (h: Host) => commandEnv(ctx.env, { SLIPWAY_RELEASE: target, SLIPWAY_HOST: h.name, SLIPWAY_PREVIOUS_RELEASE: prevOf(h) ?? "" });
    const switchScripts: Record<string, HostScript> = {};
    const afterScripts: Record<string, HostScript> = {};
    for (const h of hosts) {
      const p = pathsFor(h.deployTo);
      const prev = prevOf(h);
      const markBad = prev && prev !== target ? [rel.setStatus(p, prev, "bad")] : [];
      switchScripts[h.name] = { env: envFor(h), sections: phaseSection(ctx.env, h, "switch", [rel.switchCurrent(p, target), ...markBad], [], p.release(target)) };
      afterScripts[h.name] = {
        env: envFor(h),
        sections: [...phaseSection(ctx.env, h, "restart", serviceRestarts(ctx.env, h), ctx.env.restart, p.current), ...phaseSection(ctx.env, h, "verify", [], ctx.env.verify, p.current)],
      };
    }
    let switched: Host[] = [];
    try {
      try {
        await runScripts(ctx, pool, hosts, switchScripts, "switch");
        switched = hosts;
      } catch (e) {
        if (e instanceof StageError) {
          // A host that timed out may have switched: it is switched back with the others.
          const bad = new Set(e.failed.filter((f) => !(f.error instanceof StepTimeoutError)).map((f) => f.host));
          switched = hosts.filter((h) => !bad.has(h.name));
        }
        throw e;
      }
      if (ctx.signal.aborted) throw new InterruptedError();
      const active = hosts.filter((h) => (afterScripts[h.name]?.sections.length ?? 0) > 0);
      if (active.length) await runScripts(ctx, pool, active, afterScripts, "restart+verify");
      history = rel.appendHistory(primaryPaths, entry("ok")).sh;
    } catch (e) {
      const calm = new AbortController().signal;
      const undo: Record<string, HostScript> = {};
      for (const h of hosts) {
        const p = pathsFor(h.deployTo);
        const prev = prevOf(h);
        const sections = [];
        if (switched.includes(h) && prev) sections.push({ phase: "switch", commands: [rel.switchCurrent(p, prev), rel.setStatus(p, prev, "ok")], timeoutMs: ctx.env.timeouts.switch });
        if (sections.length) undo[h.name] = { env: envFor(h), sections };
      }
      if (switched.length) ctx.bus.warn(`rollback failed; switching ${switched.length} host(s) back to ${from}`);
      history = rel.appendHistory(primaryPaths, entry(ctx.signal.aborted ? "interrupted" : "failed")).sh;
      const undoHosts = hosts.filter((h) => undo[h.name]);
      if (undoHosts.length) await runScripts(ctx, pool, undoHosts, undo, "recover", calm).catch((err) => ctx.bus.warn(`recovery incomplete: ${(err as Error).message}`));
      await runFailureHooks(ctx, pool, hosts, { SLIPWAY_FAILED_RELEASE: target });
      const why = e instanceof StageError ? e.failed.map((f) => f.error.message).join("\n") : (e as Error).message;
      throw new OperationError(`rollback failed: ${why}\n  every host is back on its previous current release`);
    }
    return { releaseId: target, commit: toCommit, removed: {}, summary: hosts.map((h) => `${h.name}: current → ${target} (${prevOf(h) ?? "none"} marked bad)`) };
  }, stateCmd, () => history);
}
