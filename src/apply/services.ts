/** Service operations across hosts: actions in start order (stop in reverse), and health reports. */
import { pathsFor } from "../config/paths.js";
import type { Environment, Host, Service } from "../config/resolve.js";
import { serviceAction, servicesOn, type ServiceAction, type ServiceContext } from "../commands/services/backend.js";
import { healthWait, parseServiceReport, serviceReport, type ServiceState } from "../commands/services/health.js";
import { installSupervisorProgram } from "../commands/services/supervisord.js";
import { installSystemdUnit } from "../commands/services/systemd.js";
import type { HostScript, ScriptCommand } from "../commands/script.js";
import { OperationError } from "../errors.js";
import { failures, forEachHost } from "../exec/fanout.js";
import { capture } from "../exec/runner.js";
import { commandEnv, hostServices, serviceContext } from "../plan/sections.js";

export { serviceContext };
import type { ExecutorPool, RunContext } from "./context.js";
import { runScripts } from "./stages.js";


export function pickServices(env: Environment, name: string): Service[] {
  if (name === "all") return env.services;
  const s = env.services.filter((x) => x.name === name);
  if (!s.length) throw new OperationError(`unknown service "${name}"; configured: ${env.services.map((x) => x.name).join(", ") || "(none)"}`);
  return s;
}

/** The commands for one action on one host; start-like actions wait for health. */
export function actionCommands(env: Environment, h: Host, services: Service[], action: ServiceAction): ScriptCommand[] {
  const c = serviceContext(env, h);
  const mine = hostServices(env, h, services);
  const ordered = action === "stop" ? [...mine].reverse() : mine;
  return ordered.flatMap((svc) => [
    ...(action !== "stop" && action !== "status" ? (svc.backend === "supervisord" ? [installSupervisorProgram(svc, c)] : svc.backend === "systemd" ? [installSystemdUnit(svc, c)] : []) : []),
    serviceAction(svc, c, action),
    ...(action === "start" || action === "restart" || action === "reload" ? [healthWait(svc, c)] : []),
  ]);
}

export async function runServiceAction(ctx: RunContext, pool: ExecutorPool, hosts: Host[], services: Service[], action: ServiceAction): Promise<string[]> {
  const scripts: Record<string, HostScript> = {};
  for (const h of hosts) {
    const commands = actionCommands(ctx.env, h, services, action);
    if (commands.length) scripts[h.name] = { env: commandEnv(ctx.env, { SLIPWAY_HOST: h.name }), sections: [{ phase: `service ${action}`, cwd: pathsFor(h.deployTo).root, commands }] };
  }
  const targets = hosts.filter((h) => scripts[h.name]);
  if (!targets.length) throw new OperationError("no targeted host runs these services");
  await runScripts(ctx, pool, targets, scripts, `service ${action}`);
  return targets.map((h) => `${h.name}: ${action} ${servicesOn(services, h.roles).map((s) => s.name).join(", ")}`);
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
