/** Services of one release track (the app's or a component's), in start order. */
import type { Service } from "./resolve.js";
import type { RawConfig } from "./schema/index.js";

/** The services `component` (null: the app) restarts, sorted by `order`. */
export function resolveServices(raw: RawConfig, component: string | null): Service[] {
  return Object.entries(raw.services)
    .filter(([, sv]) => (sv.component ?? null) === component)
    .map(([n, sv]) => ({
      name: n,
      backend: sv.backend,
      roles: sv.roles,
      component: sv.component ?? null,
      order: sv.order,
      command: sv.command,
      program: sv.program ?? `${raw.app}-${n}`,
      start: sv.start,
      stop: sv.stop,
      reload: sv.reload,
      status: sv.status,
      pidFile: sv.pid_file,
      log: sv.log,
      processes: sv.processes,
      health: sv.health,
      gracefulReload: sv.graceful_reload,
    }))
    .sort((a, b) => a.order - b.order);
}
