/** The one interface every service backend implements, the types they share, and the lookup by backend name. */
import type { Paths } from "../../config/paths.js";
import type { Service } from "../../config/resolve.js";
import { cmd, type ScriptCommand } from "../script.js";
import { command } from "./command.js";
import { envFileCommand } from "./envfile.js";
import { hasCutover, onActiveSlot } from "./slots.js";
import { supervisord } from "./supervisord.js";
import { systemd } from "./systemd.js";

/** What a caller can ask of a running service. */
export type ServiceAction = "start" | "stop" | "restart" | "reload" | "status";

/** Everything a backend needs besides the service: where the app lives, supervisord's files, the environment. */
export interface ServiceContext {
  paths: Paths;
  supervisor: { config: string; includeDir: string };
  /** Environment passed to the program (through its 0600 env file). */
  env: Record<string, string>;
}

/** A service manager (supervisord, systemd, or the app's own commands): pure builders, no I/O. */
export interface ServiceBackend {
  /** Shell that prints the env file's bytes in the format this backend's loader reads. */
  envBody(env: Record<string, string>): string;
  /** Write the env file and install or refresh the service definition; null when there is nothing to install. */
  install(svc: Service, c: ServiceContext): ScriptCommand | null;
  /** start/stop/restart/reload/status through this backend. */
  action(svc: Service, c: ServiceContext, action: ServiceAction): ScriptCommand;
  /** Shell that succeeds when the service's process is up, and prints what it saw when it is not. */
  alive(svc: Service, c: ServiceContext): string;
}

// A record, not a switch: adding a backend name to the config type without one here fails to compile.
const BACKENDS: Record<Service["backend"], ServiceBackend> = { supervisord, systemd, command };

/** The backend a service runs under. */
export function backendFor(svc: Service): ServiceBackend {
  return BACKENDS[svc.backend];
}

/** Is the service's process up? (supervisord RUNNING, systemd active, or the pid file's process alive). */
export function aliveCheck(svc: Service, c: ServiceContext): string {
  if (hasCutover(svc)) return onActiveSlot(svc, c, (s, sc) => backendFor(s).alive(s, sc));
  return backendFor(svc).alive(svc, c);
}

/**
 * (Re)write a service's env file atomically (see envFileCommand), in its backend's format:
 * supervisord gets NUL records for the loader, systemd its EnvironmentFile= syntax.
 */
export function writeEnvFile(svc: Service, c: ServiceContext): ScriptCommand {
  return envFileCommand(svc, c, backendFor(svc).envBody(c.env));
}

/** start/stop/restart/reload/status for a service. */
export function serviceAction(svc: Service, c: ServiceContext, action: ServiceAction): ScriptCommand {
  // A cutover service acts on the slot nginx points at.
  if (hasCutover(svc))
    return cmd(
      onActiveSlot(svc, c, (s, sc) => `( ${backendFor(s).action(s, sc, action).sh} )`),
      `${action} ${svc.name} (active slot)`,
    );
  return backendFor(svc).action(svc, c, action);
}

/** Services that run on a host (by role). */
export function servicesOn(services: Service[], roles: string[]): Service[] {
  return services.filter((s) => !s.roles || s.roles.some((r) => roles.includes(r)));
}
