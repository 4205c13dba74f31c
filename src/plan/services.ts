/**
 * planServiceAction(env, hosts, services, action) → ServicePlan: pure. The commands of one action on
 * each host in start order (stop reversed; start-like actions install the program or unit first and
 * wait for health), one round trip per host. Shared by `service`, downtime and after-reboot.
 */
import { pathsFor } from "../config/paths.js";
import type { Environment, Host, Service } from "../config/resolve.js";
import type { HostScript, ScriptCommand } from "../commands/script.js";
import { serviceAction, servicesOn, type ServiceAction } from "../commands/services/backend.js";
import { healthWait } from "../commands/services/health.js";
import { installSupervisorProgram } from "../commands/services/supervisord.js";
import { installSystemdUnit } from "../commands/services/systemd.js";
import { OperationError } from "../errors.js";
import type { OpsPlan, OpsStage } from "./ops.js";
import { commandEnv, hostServices, serviceContext } from "./sections.js";

export interface ServicePlan extends OpsPlan {
  verb: "service";
  action: ServiceAction;
  /** The services acted on per host (config order; a stop runs them reversed). */
  services: Record<string, string[]>;
}

/** `all`, or the one service of that name (an unknown name is an error listing the configured ones). */
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
    // A cutover service's slots are installed by deploys; here only the recorded slot is acted on.
    ...(action !== "stop" && action !== "status" && !svc.cutover
      ? svc.backend === "supervisord"
        ? [installSupervisorProgram(svc, c)]
        : svc.backend === "systemd"
          ? [installSystemdUnit(svc, c)]
          : []
      : []),
    serviceAction(svc, c, action),
    ...(action === "start" || action === "restart" || action === "reload" ? [healthWait(svc, c)] : []),
  ]);
}

/** The action's stage: a script for each host that runs one of the services (none: a refusal). */
export function planServiceAction(env: Environment, hosts: Host[], services: Service[], action: ServiceAction): ServicePlan | { refuse: string } {
  const scripts: Record<string, HostScript> = {};
  const acted: Record<string, string[]> = {};
  for (const h of hosts) {
    const commands = actionCommands(env, h, services, action);
    if (!commands.length) continue;
    scripts[h.name] = { env: commandEnv(env, { SLIPWAY_HOST: h.name }), sections: [{ phase: `service ${action}`, cwd: pathsFor(h.deployTo).root, commands }] };
    acted[h.name] = servicesOn(services, h.roles).map((s) => s.name);
  }
  const targets = hosts.filter((h) => scripts[h.name]).map((h) => h.name);
  if (!targets.length) return { refuse: "no targeted host runs these services" };
  const stage: OpsStage = {
    kind: "hosts",
    label: `service ${action}`,
    hosts: targets,
    scripts,
    done: targets.map((h) => `${h}: ${action} ${acted[h]!.join(", ")}`),
  };
  return {
    verb: "service",
    action,
    env: env.name,
    hosts: targets,
    lock: null,
    services: acted,
    stages: [stage],
    deployTo: Object.fromEntries(hosts.map((h) => [h.name, h.deployTo])),
  };
}
