/**
 * planAfterReboot(env, hosts) → AfterRebootPlan: pure. Per host, one round trip: the
 * `after_reboot:` hooks for its roles, then every service in start order with health waits; then a
 * probe of every service reports what is still unhealthy.
 */
import { pathsFor } from "../config/paths.js";
import type { Environment, Host } from "../config/resolve.js";
import { appliesTo } from "../config/roles.js";
import { cmd, type HostScript, type Section } from "../commands/script.js";
import type { OpsPlan, OpsStage } from "./ops.js";
import { commandEnv } from "./sections.js";
import { actionCommands } from "./services.js";

export interface AfterRebootPlan extends OpsPlan {
  verb: "after-reboot";
}

export function planAfterReboot(env: Environment, hosts: Host[]): AfterRebootPlan {
  const scripts: Record<string, HostScript> = {};
  for (const h of hosts) {
    const root = pathsFor(h.deployTo).root;
    const hooks = env.afterReboot.filter((c) => appliesTo(c.roles, h)).map((c) => cmd(c.run));
    const starts = actionCommands(env, h, env.services, "start");
    const sections: Section[] = [
      ...(hooks.length ? [{ phase: "reboot hooks", cwd: root, commands: hooks }] : []),
      ...(starts.length ? [{ phase: "start services", cwd: root, commands: starts }] : []),
    ];
    if (sections.length) scripts[h.name] = { env: commandEnv(env, { SLIPWAY_HOST: h.name }), sections };
  }
  const names = hosts.map((h) => h.name);
  const withWork = names.filter((n) => scripts[n]);
  const stages: OpsStage[] = [
    ...(withWork.length ? [{ kind: "hosts" as const, label: "after-reboot", hosts: withWork, scripts }] : []),
    { kind: "report", hosts: names },
  ];
  return { verb: "after-reboot", env: env.name, hosts: names, lock: null, stages, deployTo: Object.fromEntries(hosts.map((h) => [h.name, h.deployTo])) };
}
