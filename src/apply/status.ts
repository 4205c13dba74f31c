/** `status`: read every host once (release state and service probes in one script), ask git for pending, decide the report. */
import { pathsFor } from "../config/paths.js";
import { servicesOn } from "../commands/services/backend.js";
import { parseServiceReport, serviceReport, type ServiceState } from "../commands/services/health.js";
import { failures, forEachHost } from "../exec/fanout.js";
import { capture } from "../exec/runner.js";
import { hostServices, serviceContext } from "../plan/sections.js";
import { readState } from "../plan/state.js";
import { planStatus, type StatusReport } from "../plan/status.js";
import type { RunContext } from "./context.js";
import { gatherReachable } from "./gather.js";
import { describeHolder, isStale } from "./lock.js";
import { pendingFor, runningCommit } from "./pending.js";
import { parseWatchLines } from "../plan/verify-input.js";
import { watchReadScript } from "./watch.js";

/**
 * One read-only script per host: `readState` in a subshell (it exits early on a fresh host), then
 * the same probes as check-services. Their lines cannot mix: readState's start with its own tags
 * and flattens host files to one line, the probes' start with `SVC\t`.
 */
function statusScript(ctx: RunContext, h: Parameters<typeof hostServices>[1]): string {
  const mine = hostServices(ctx.env, h, ctx.env.services);
  // The verify-window watcher's lines start with VWATCH (apply/watch.ts).
  const state = `(\n${readState(pathsFor(h.deployTo))}\n)\n${watchReadScript(h)}`;
  return mine.length ? `${state}\n${serviceReport(mine, serviceContext(ctx.env, h))}` : state;
}

/** Read everything and decide; never takes the lock, never writes. */
export async function readStatus(ctx: RunContext): Promise<StatusReport> {
  const hosts = ctx.env.hosts;
  const reads = await forEachHost(hosts, ctx.parallel, async (h) =>
    capture(await ctx.pool.get(h), "status", statusScript(ctx, h), "read status", ctx.signal, ctx.env.timeouts.check),
  );
  const outs = Object.fromEntries(reads.flatMap((r) => (r.ok ? [[r.host, r.value] as const] : [])));
  const lost = failures(reads);
  // Parsing (and the warnings for malformed host data) is gatherReachable's, with no second round trip.
  const answered = hosts.filter((h) => outs[h.name] !== undefined);
  const { states } = await gatherReachable(ctx, ctx.pool, answered, outs, "status");
  const { pending, subject } = await pendingFor(ctx, runningCommit(states[ctx.env.primary.name]));
  const probes: Record<string, ServiceState[]> = {};
  for (const h of answered) probes[h.name] = parseServiceReport(outs[h.name]!);
  for (const f of lost) {
    const h = hosts.find((x) => x.name === f.host)!;
    probes[h.name] = servicesOn(ctx.env.services, h.roles).map((s) => ({ service: s.name, ok: false, output: "host unreachable" }));
  }
  const lockInfo = states[ctx.env.primary.name]?.lock ?? null;
  return planStatus({
    app: ctx.env.app,
    env: ctx.env.name,
    component: ctx.env.component,
    primary: ctx.env.primary.name,
    hosts,
    states,
    unreachable: lost.map((f) => ({ host: f.host, error: f.error.message })),
    probes,
    services: ctx.env.services.map((s) => ({ name: s.name, roles: s.roles ?? null })),
    lock: lockInfo && { info: lockInfo, holder: describeHolder(lockInfo, ctx.env.name, ctx.env.component), stale: isStale(lockInfo) },
    pending,
    subject,
    watches: answered.flatMap((h) => parseWatchLines(h.name, outs[h.name]!) ?? []),
  });
}
