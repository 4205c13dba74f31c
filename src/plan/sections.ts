/**
 * The pieces every plan is made of: a phase's section on a host (hooks around its own commands,
 * with its time limit), the environment commands get, and a host's service restarts. Shared by
 * planDeploy, planRollback and recovery, so each builds scripts the same way.
 */
import { pathsFor } from "../config/paths.js";
import type { Command, Environment, Host, Service } from "../config/resolve.js";
import { appliesTo } from "../config/roles.js";
import { mergeEnv } from "../config/env.js";
import { fillVars, legacyVarsWarning } from "../config/template.js";
import { UsageError } from "../errors.js";
import { cmd, type ScriptCommand, type Section } from "../commands/script.js";
import { serviceAction, servicesOn, type ServiceContext } from "../commands/services/backend.js";
import { healthWait } from "../commands/services/health.js";
import { installSupervisorProgram } from "../commands/services/supervisord.js";
import { installSystemdUnit } from "../commands/services/systemd.js";
import type { Phase } from "./phases.js";

export const forHost = (cmds: Command[], h: Host) => cmds.filter((c) => !c.local && appliesTo(c.roles, h));
export const userCmds = (cmds: Command[]): ScriptCommand[] => cmds.map((c) => cmd(c.run));

/** Environment passed to every command (merged by `mergeEnv`): app env, host env, secrets, and what the release is. */
export function commandEnv(env: Environment, extra: Record<string, string>, host?: Host): Record<string, string> {
  const h = host ?? env.hosts.find((x) => x.name === extra.SLIPWAY_HOST);
  return mergeEnv(env, h, { SLIPWAY_APP: env.app, SLIPWAY_ENV: env.name, ...extra });
}

/**
 * A deploy's service restarts on one host: each service of the component that runs there, in start
 * order, restarted (or reloaded) and then waited on until healthy, so a batch is healthy before the next.
 */
export function serviceRestarts(env: Environment, h: Host): ScriptCommand[] {
  const c = serviceContext(env, h);
  // Cutover services are not restarted in place: their slots are started and stopped by plan/cutover.ts.
  return hostServices(env, h)
    .filter((svc) => !svc.cutover)
    .flatMap((svc) => [
      ...(svc.backend === "supervisord" ? [installSupervisorProgram(svc, c)] : svc.backend === "systemd" ? [installSystemdUnit(svc, c)] : []),
      serviceAction(svc, c, svc.gracefulReload ? "reload" : "restart"),
      healthWait(svc, c),
    ]);
}

/** Paths, supervisor settings and the environment (app env, host env, secrets) a host's services run with. */
export function serviceContext(env: Environment, h: Host): ServiceContext {
  // No SLIPWAY_* here: they would change every installed program file and unit on each release.
  return { paths: pathsFor(h.deployTo), supervisor: env.supervisor, env: mergeEnv(env, h) };
}

/** The services that run on a host (by role), with the host's `{{ NAME }}` values filled in. */
export function hostServices(env: Environment, h: Host, services: Service[] = env.services): Service[] {
  const vars = serviceContext(env, h).env;
  return servicesOn(services, h.roles).map((s) => withHostVars(s, vars));
}

/**
 * `{{ NAME }}` (or the deprecated `${NAME}`) in a service's command and health checks becomes the
 * host's value (e.g. its PORT); names used the deprecated way are added to `legacy`.
 */
export function withHostVars(svc: Service, vars: Record<string, string>, legacy?: Set<string>): Service {
  const sub = (t?: string) => {
    if (t === undefined) return t;
    const f = fillVars(t, vars);
    for (const k of f.legacy) legacy?.add(k);
    return f.text;
  };
  const filled: Service = { ...svc, command: sub(svc.command), health: svc.health && { ...svc.health, http: sub(svc.health.http), tcp: sub(svc.health.tcp) } };
  if (svc.cutover) {
    const host = sub(svc.cutover.host)!;
    // It reaches nginx's config and an awk pattern: an address, nothing else.
    if (!/^[A-Za-z0-9.:[\]-]+$/.test(host))
      throw new UsageError(`services.${svc.name}.cutover.host: expected an address, got ${JSON.stringify(host.slice(0, 80))}`);
    filled.cutover = { ...svc.cutover, host };
  }
  return filled;
}

/** The deprecation warning for `${NAME}` in this environment's services, on any host (one per run). */
export function hostVarWarnings(env: Environment): string[] {
  const legacy = new Set<string>();
  for (const h of env.hosts) for (const s of servicesOn(env.services, h.roles)) withHostVars(s, serviceContext(env, h).env, legacy);
  const w = legacyVarsWarning(legacy);
  return w ? [w] : [];
}

/** Sections for one phase on one host: before hooks, the phase's own commands, after hooks. */
export function phaseSection(env: Environment, h: Host, phase: Phase, own: ScriptCommand[], userOwn: Command[], cwd?: string): Section[] {
  const before = userCmds(forHost(env.hooks.before[phase] ?? [], h));
  const after = userCmds(forHost(env.hooks.after[phase] ?? [], h));
  const commands = [...before, ...own, ...userCmds(forHost(userOwn, h)), ...after];
  const hooked = before.length + after.length > 0;
  return commands.length ? [{ phase, cwd, commands, timeoutMs: phaseTimeout(env, phase, hooked) }] : [];
}

/**
 * A phase's time limit on one host. Your own hooks inside a short phase (the switch takes
 * milliseconds) get the hooks limit instead, since we cannot know what they do.
 */
export function phaseTimeout(env: Environment, phase: Phase, hooked = false): number | undefined {
  const own = (env.timeouts as Record<string, number>)[phase];
  if (own === undefined) return undefined;
  return hooked ? Math.max(own, env.timeouts.hooks) : own;
}
