/** Running the recovery and failure hooks a plan prepared (plan/recovery.ts). */
import type { Host } from "../config/resolve.js";
import type { HostScript } from "../commands/script.js";
import type { RunnablePlan } from "../plan/stage.js";
import { recoveryScript, type FailureHooks } from "../plan/recovery.js";
import type { RunContext } from "./context.js";
import { runLocal, runScripts, StageError } from "./stages.js";

/**
 * After a failure: mark the release failed, switch back hosts that were switched (re-running
 * restart for the old release when the new one was already restarted), run on_failure hooks.
 * Runs with its own signal: an interrupt must not stop the clean-up. Returns summary lines.
 */
export async function recover(ctx: RunContext, plan: RunnablePlan, hosts: Host[], switched: string[], rerunRestart: boolean): Promise<string[]> {
  const calm = new AbortController().signal;
  const switchedSet = new Set(switched);
  const scripts: Record<string, HostScript> = {};
  for (const h of hosts) scripts[h.name] = recoveryScript(plan.recovery[h.name]!, switchedSet.has(h.name), rerunRestart && plan.previous[h.name] != null);
  if (switched.length) ctx.bus.warn(`switching ${switched.length} host(s) back to the previous release`);
  const recoveryFailed = new Map<string, string>();
  try {
    await runScripts(ctx, ctx.pool, hosts, scripts, "recover", calm);
  } catch (e) {
    if (e instanceof StageError) for (const f of e.failed) recoveryFailed.set(f.host, f.error.message.split("\n")[0]!);
    ctx.bus.warn(`recovery incomplete: ${(e as Error).message}`);
  }
  const summary = hosts.map((h) => {
    const prev = plan.previous[h.name] ?? null;
    const broke = recoveryFailed.get(h.name);
    // The summary says only what is known: a host whose recovery failed is named as such.
    if (broke) return `  ${h.name}: RECOVERY FAILED (${broke}); check current and services on this host`;
    if (switchedSet.has(h.name)) return `  ${h.name}: switched back to ${prev ?? "(no release: current removed)"}`;
    return `  ${h.name}: not switched; current still ${prev ?? "(none)"}`;
  });
  if (plan.recoveryNote) summary.push(`  ${plan.recoveryNote}`);
  await runHooks(ctx, hosts, plan.onFailure);
  return summary;
}

async function runHooks(ctx: RunContext, hosts: Host[], hooks: FailureHooks): Promise<void> {
  const calm = new AbortController().signal;
  const on = hosts.filter((h) => hooks.remote[h.name]);
  try {
    if (on.length) await runScripts(ctx, ctx.pool, on, hooks.remote, "on_failure", calm);
    if (hooks.local) await runLocal(ctx, hooks.local, calm);
  } catch (e) {
    ctx.bus.warn(`on_failure hook failed: ${(e as Error).message}`);
  }
}
