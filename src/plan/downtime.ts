/**
 * planDowntime(env, hosts, "start" | "end", message) → DowntimePlan: pure. start: page up on the
 * maintenance hosts, services stopped (reverse order), their processes waited for (stragglers
 * handled as planned); end: services started in order and healthy, then the page comes down.
 */
import { pathsFor } from "../config/paths.js";
import type { Environment, Host } from "../config/resolve.js";
import { appliesTo } from "../config/roles.js";
import { maintenanceOff, maintenanceOn, maintenancePage } from "../commands/downtime.js";
import { servicesOn } from "../commands/services/backend.js";
import type { HostScript } from "../commands/script.js";
import type { OpsPlan, OpsStage } from "./ops.js";
import { planServiceAction } from "./services.js";

export interface DowntimePlan extends OpsPlan {
  verb: "downtime";
  action: "start" | "end";
  message: string;
  /** Hosts that show the maintenance page (`maintenance.roles`). */
  pageHosts: string[];
}

export interface DowntimeOptions {
  /** Who and when, written into the flag (`downtime status` shows them). */
  by?: string;
  now?: Date;
  /** `--kill-after`: terminate processes still running this many seconds after the stop. */
  killAfterS?: number;
  /** A terminal can be asked what to do with stragglers. */
  interactive?: boolean;
}

const pageHostsOf = (env: Environment, hosts: Host[]) => hosts.filter((h) => appliesTo(env.maintenance.roles, h));
/** Hosts that run at least one service: the ones stopped, waited for and started. */
export const serviceHostsOf = (env: Environment, hosts: Host[]) => hosts.filter((h) => servicesOn(env.services, h.roles).length > 0);

/** The stages of `downtime start|end`; a refusal when services are configured but no targeted host runs one. */
export function planDowntime(
  env: Environment,
  hosts: Host[],
  action: "start" | "end",
  message: string,
  o: DowntimeOptions = {},
): DowntimePlan | { refuse: string } {
  const pages = pageHostsOf(env, hosts);
  const pageNames = pages.map((h) => h.name);
  const page = (on: boolean): Record<string, HostScript> => {
    const html = maintenancePage(env.app, message);
    const info = { message, by: o.by ?? "", since: (o.now ?? new Date()).toISOString() };
    const each = (h: Host) =>
      on ? maintenanceOn(pathsFor(h.deployTo), env.maintenance.dir, html, info) : maintenanceOff(pathsFor(h.deployTo), env.maintenance.dir);
    return Object.fromEntries(pages.map((h) => [h.name, { env: {}, sections: [{ phase: "downtime", commands: [each(h)] }] }]));
  };
  const svcHosts = serviceHostsOf(env, hosts);
  const svc = env.services.length ? planServiceAction(env, svcHosts, env.services, action === "start" ? "stop" : "start") : null;
  // Refused before anything runs (before, the page went up and then the stop failed).
  if (svc && "refuse" in svc) return svc;
  const pageStage = (on: boolean, done: string): OpsStage => ({ kind: "hosts", label: "maintenance page", hosts: pageNames, scripts: page(on), done: [done] });
  const stages: OpsStage[] = [];
  if (action === "start") {
    stages.push(pageStage(true, `maintenance page up on ${pageNames.join(", ") || "(no host)"}`));
    if (svc) {
      stages.push(...svc.stages);
      const onLeft = o.killAfterS !== undefined ? "kill" : o.interactive ? "ask" : "fail";
      stages.push({
        kind: "stragglers",
        hosts: svcHosts.map((h) => h.name),
        waitS: o.killAfterS ?? env.maintenance.stopTimeout,
        retryS: env.maintenance.stopTimeout,
        onLeft,
      });
    }
  } else {
    if (svc) stages.push(...svc.stages);
    stages.push(pageStage(false, "maintenance page down"));
  }
  return {
    verb: "downtime",
    action,
    env: env.name,
    hosts: hosts.map((h) => h.name),
    lock: env.primary.name,
    message,
    pageHosts: pageNames,
    stages,
    deployTo: Object.fromEntries(hosts.map((h) => [h.name, h.deployTo])),
  };
}
