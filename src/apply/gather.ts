/** The check phase: one read-only round trip per host for releases, current and lock. */
import { pathsFor } from "../config/paths.js";
import type { Host } from "../config/resolve.js";
import { OperationError } from "../errors.js";
import { failures, forEachHost } from "../exec/fanout.js";
import { capture } from "../exec/runner.js";
import { parseState, readState, type HostState } from "../plan/state.js";
import type { ExecutorPool, RunContext } from "./context.js";

/** Extra reads folded into a host's state round trip, by tag (see readState): a gate's evidence, for example. */
export type StateExtras = (h: Host) => Record<string, string>;

/** `known`: states already read in another round trip (the primary's, together with the lock). */
export async function gatherStates(
  ctx: RunContext,
  pool: ExecutorPool,
  hosts: Host[],
  known: Record<string, string> = {},
  phase = "check",
  extras?: StateExtras,
): Promise<Record<string, HostState>> {
  const { states, unreachable } = await gatherReachable(ctx, pool, hosts, known, phase, extras);
  if (unreachable.length) throw new OperationError(unreachable.map((f) => `${f.host}: ${f.error.message}`).join("\n"));
  return states;
}

/** Like gatherStates, but hosts that cannot be read are returned, not thrown (partial deploys). */
export async function gatherReachable(
  ctx: RunContext,
  pool: ExecutorPool,
  hosts: Host[],
  known: Record<string, string> = {},
  phase = "check",
  extras?: StateExtras,
): Promise<{ states: Record<string, HostState>; unreachable: { host: string; error: Error }[] }> {
  ctx.bus.emit({ type: "phase:start", phase, hosts: hosts.map((h) => h.name) });
  const results = await forEachHost(hosts, ctx.parallel, async (h) => {
    ctx.bus.emit({ type: "host:phase", host: h.name, phase, status: "running" });
    const t0 = Date.now();
    try {
      const out =
        known[h.name] ??
        (await capture(await pool.get(h), phase, readState(pathsFor(h.deployTo), extras?.(h)), "read release state", ctx.signal, ctx.env.timeouts.check));
      const st = parseState(h.name, out);
      for (const problem of st.problems) ctx.bus.warn(`unexpected data on the host: ${problem}`, h.name);
      ctx.bus.emit({ type: "host:phase", host: h.name, phase, status: "done", ms: Date.now() - t0 });
      return st;
    } catch (e) {
      ctx.bus.emit({ type: "host:phase", host: h.name, phase, status: "failed" });
      throw e;
    }
  });
  const failed = failures(results);
  ctx.bus.emit({ type: "phase:end", phase, ok: failed.length === 0 });
  const states = Object.fromEntries(results.flatMap((r) => (r.ok ? [[r.host, r.value] as const] : [])));
  return { states, unreachable: failed.map((f) => ({ host: f.host, error: f.error })) };
}

/** The read-state command for the primary, to run right after taking the lock. */
export function primaryStateCommand(ctx: RunContext, hosts: Host[], extras?: StateExtras): string | undefined {
  const p = ctx.env.primary;
  return hosts.some((h) => h.name === p.name) ? readState(pathsFor(p.deployTo), extras?.(p)) : undefined;
}

export function knownPrimary(ctx: RunContext, out: string, cmd: string | undefined): Record<string, string> {
  return cmd ? { [ctx.env.primary.name]: out } : {};
}
