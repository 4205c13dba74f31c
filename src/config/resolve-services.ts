/** Services of one release track (the app's or a component's), in start order. */
import type { Cutover, Service } from "./resolve.js";
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
      ...(sv.cutover ? { cutover: cutoverOf(raw.app, n, sv.cutover) } : {}),
    }))
    .sort((a, b) => a.order - b.order);
}

type RawCutover = NonNullable<RawConfig["services"][string]["cutover"]>;

function cutoverOf(app: string, service: string, c: RawCutover): Cutover {
  return {
    ports: c.ports,
    upstreamFile: c.upstream_file ?? `nginx/${service}.conf`,
    upstreamName: c.upstream_name ?? `${app}_${service}`.replace(/[^A-Za-z0-9_]/g, "_"),
    host: c.host,
    drainSeconds: c.drain_timeout,
    keepPrevious: c.keep_previous,
    nginx: { test: c.nginx.test, reload: c.nginx.reload, pidFile: c.nginx.pid_file, sudo: c.nginx.sudo },
  };
}
