/**
 * What a failed deploy does, planned ahead as data: per host, mark the release failed, switch
 * back, restart the old release; and the on_failure hooks. The run picks the parts that apply
 * (a host that never switched is only marked), so `--plan` can show them and tests read them.
 */
import { pathsFor } from "../config/paths.js";
import type { Environment, Host } from "../config/resolve.js";
import { appliesTo } from "../config/roles.js";
import * as rel from "../commands/release.js";
import type { HostScript, Section } from "../commands/script.js";
import { cmd } from "../commands/script.js";
import type { CutoverSections } from "./cutover.js";
import { commandEnv, phaseSection, serviceRestarts } from "./sections.js";

/**
 * What recovery may run on one host, by what happened there: `always` (even on a host that never
 * switched), `ifSwitched` (its `current` may have moved) and `ifRestarted` (its services already
 * ran the new code). The run picks from its state; the plan only prepares.
 */
export interface HostRecovery {
  env: Record<string, string>;
  always: Section[];
  ifSwitched: Section[];
  ifRestarted: Section[];
  /** On every host, after the rest: stop cutover slots started for the failed release. */
  last?: Section[];
  /** A failed switch may already have moved nginx (cutover): recovery treats the host as switched. */
  switchIsNotAtomic?: boolean;
}

export interface FailureHooks {
  remote: Record<string, HostScript>;
  local: HostScript | null;
}

/**
 * The recovery pieces for each host of a deploy of `id`, given each host's previous release and the
 * cutover sections (the old slot serves again on a switched host; the new slot is stopped everywhere).
 */
export function planRecovery(
  env: Environment,
  hosts: Host[],
  id: string,
  previous: Record<string, string | null>,
  cutover: Record<string, CutoverSections> = {},
): Record<string, HostRecovery> {
  // Recovery steps take milliseconds: a host that cannot do them in the switch's limit is stuck.
  const quick = env.timeouts.switch;
  return Object.fromEntries(
    hosts.map((h) => {
      const p = pathsFor(h.deployTo);
      const prev = previous[h.name] ?? null;
      const r: HostRecovery = {
        env: commandEnv(env, { SLIPWAY_RELEASE: prev ?? "", SLIPWAY_HOST: h.name, SLIPWAY_FAILED_RELEASE: id }),
        // Marked failed first: a restart that fails during recovery must not leave the release `ok`.
        always: [{ phase: "cleanup", commands: [rel.setStatus(p, id, "failed")], timeoutMs: quick }],
        // Back to the previous release (or `current` removed on a first deploy).
        ifSwitched: [
          { phase: "switch", commands: [prev ? rel.switchCurrent(p, prev) : rel.removeCurrent(p)], timeoutMs: quick },
          ...(cutover[h.name]?.back ?? []),
        ],
        ifRestarted: prev ? phaseSection(env, h, "restart", serviceRestarts(env, h), env.restart, p.current) : [],
        last: cutover[h.name]?.stopNew ?? [],
        ...(cutover[h.name]?.switch.length ? { switchIsNotAtomic: true } : {}),
      };
      return [h.name, r];
    }),
  );
}

/** The script recovery runs on one host, given whether it switched and whether its services ran the new code. */
export function recoveryScript(r: HostRecovery, switched: boolean, restarted: boolean): HostScript {
  return { env: r.env, sections: [...r.always, ...(switched ? [...r.ifSwitched, ...(restarted ? r.ifRestarted : [])] : []), ...(r.last ?? [])] };
}

/** on_failure hooks: on each host whose roles they apply to, and `local: true` ones once here. */
export function planFailureHooks(env: Environment, hosts: Host[], extra: Record<string, string>): FailureHooks {
  const hooks = env.hooks.onFailure;
  const remote: Record<string, HostScript> = {};
  for (const h of hosts) {
    const cmds = hooks.filter((c) => !c.local && appliesTo(c.roles, h));
    if (cmds.length)
      remote[h.name] = {
        env: commandEnv(env, { ...extra, SLIPWAY_HOST: h.name }),
        sections: [{ phase: "on_failure", cwd: pathsFor(h.deployTo).root, commands: cmds.map((c) => cmd(c.run)) }],
      };
  }
  const local = hooks.filter((c) => c.local);
  return {
    remote,
    local: local.length
      ? { env: commandEnv(env, extra), sections: [{ phase: "on_failure", cwd: env.configDir, commands: local.map((c) => cmd(c.run)) }] }
      : null,
  };
}
