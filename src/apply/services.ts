/** Service operations across hosts: the planned action walked (start order, stop reversed), and health reports. */
import type { Host, Service } from "../config/resolve.js";
import { servicesOn, type ServiceAction } from "../commands/services/backend.js";
import { parseServiceReport, serviceReport, type ServiceState } from "../commands/services/health.js";
import { OperationError } from "../errors.js";
import { failures, forEachHost } from "../exec/fanout.js";
import { capture } from "../exec/runner.js";
import { hostServices, serviceContext } from "../plan/sections.js";
import { planServiceAction, type ServicePlan } from "../plan/services.js";
import type { ExecutorPool, RunContext } from "./context.js";
import { runHostsStage } from "./ops.js";

export { serviceContext };
export { actionCommands, pickServices } from "../plan/services.js";

/** Walk a service plan's stages; returns one summary line per host. */
export async function applyServicePlan(ctx: RunContext, pool: ExecutorPool, hosts: Host[], plan: ServicePlan): Promise<string[]> {
  const lines: string[] = [];
  for (const stage of plan.stages) if (stage.kind === "hosts") lines.push(...(await runHostsStage(ctx, pool, hosts, stage)));
  return lines;
}

/** Plan and run one action (update-config's restarts use this too). */
export async function runServiceAction(ctx: RunContext, pool: ExecutorPool, hosts: Host[], services: Service[], action: ServiceAction): Promise<string[]> {
  const plan = planServiceAction(ctx.env, hosts, services, action);
  if ("refuse" in plan) throw new OperationError(plan.refuse);
  return applyServicePlan(ctx, pool, hosts, plan);
}

/** One probe of every service on every host. */
export async function serviceStates(ctx: RunContext, pool: ExecutorPool, hosts: Host[], services: Service[]): Promise<Record<string, ServiceState[]>> {
  const results = await forEachHost(hosts, ctx.parallel, async (h) => {
    const mine = hostServices(ctx.env, h, services);
    if (!mine.length) return [];
    return parseServiceReport(await capture(await pool.get(h), "check", serviceReport(mine, serviceContext(ctx.env, h)), "check services", ctx.signal));
  });
  const failed = failures(results);
  const out: Record<string, ServiceState[]> = {};
  for (const r of results) out[r.host] = r.ok ? r.value : [];
  // An unreachable host is reported as every one of its services down.
  for (const f of failed) {
    const h = hosts.find((x) => x.name === f.host)!;
    out[f.host] = servicesOn(services, h.roles).map((s) => ({ service: s.name, ok: false, output: `host unreachable: ${f.error.message.split("\n")[0]}` }));
  }
  return out;
}
