/**
 * planRollback(config, hostState) → RollbackPlan: pure, like planDeploy. It picks the target (or
 * explains why there is none) and builds every script the rollback may run, recovery included, so
 * `rollback --plan` shows exactly what a rollback would do.
 */
import { pathsFor } from "../config/paths.js";
import type { Environment, Host } from "../config/resolve.js";
import * as rel from "../commands/release.js";
import type { HostScript } from "../commands/script.js";
import { planFailureHooks, type FailureHooks, type HostRecovery } from "./recovery.js";
import type { Stage } from "./stage.js";
import { commandEnv, phaseSection, serviceRestarts } from "./sections.js";
import { commitOf, rollbackCandidates, type HostState } from "./state.js";
import { cutoverSections, slotMoves } from "./cutover.js";

export interface RollbackPlan {
  verb: "rollback";
  env: string;
  /** The release every host goes to, and the primary's current one it leaves (marked bad). */
  target: string;
  from: string;
  toCommit: string;
  fromCommit: string | null;
  hosts: string[];
  primary: string;
  /** Each host's current release before the rollback (what recovery returns to). */
  previous: Record<string, string | null>;
  /** switch (+ mark bad), then restart+verify where configured. */
  stages: Extract<Stage, { kind: "hosts" }>[];
  /** On switched hosts when a later stage fails: back to their previous release, marked ok again. */
  recovery: Record<string, HostRecovery>;
  onFailure: FailureHooks;
  /** The run engine's names for the release made current and its commit (the target's). */
  releaseId: string;
  commit: string;
  /** Each host's deploy_to, so `--plan` can group hosts whose commands differ only by it. */
  deployTo?: Record<string, string>;
}

export interface RollbackInput {
  env: Environment;
  hosts: Host[];
  states: Record<string, HostState>;
  requested?: string;
}

/** Pure: pick the target, or explain why there is nothing to roll back to. */
export function chooseRollback(states: Record<string, HostState>, primary: string, requested?: string): { target: string; from: string } | { refuse: string } {
  const ps = states[primary];
  if (!ps?.current) return { refuse: `nothing to roll back: ${primary} has no current release` };
  const from = ps.current;
  let target = requested;
  if (target === undefined) {
    const cand = rollbackCandidates(ps, from)[0];
    if (!cand) {
      const others = ps.releases.filter((r) => r.id !== from).map((r) => `${r.id} (${r.status})`);
      return {
        refuse: `nothing to roll back to: no good release older than ${from} on ${primary}${others.length ? `; other releases: ${others.join(", ")}` : ""}`,
      };
    }
    target = cand.id;
  }
  if (target === from) return { refuse: `${target} is already current` };
  for (const [host, st] of Object.entries(states)) {
    const r = st.releases.find((x) => x.id === target);
    if (!r) return { refuse: `release ${target} does not exist on ${host}` };
    if (r.status === "failed" || r.status === "building" || r.status === "unknown")
      return { refuse: `release ${target} on ${host} is ${r.status}; refusing to make it current` };
  }
  return { target, from };
}

export function planRollback(input: RollbackInput): RollbackPlan | { refuse: string } {
  const { env, hosts, states } = input;
  const primary = hosts.find((h) => h.name === env.primary.name) ?? hosts[0]!;
  const choice = chooseRollback(states, primary.name, input.requested);
  if ("refuse" in choice) return choice;
  const { target, from } = choice;
  const previous = Object.fromEntries(hosts.map((h) => [h.name, states[h.name]?.current ?? null]));
  const envFor = (h: Host) => commandEnv(env, { SLIPWAY_RELEASE: target, SLIPWAY_HOST: h.name, SLIPWAY_PREVIOUS_RELEASE: previous[h.name] ?? "" });
  const startScripts: Record<string, HostScript> = {};
  const switchScripts: Record<string, HostScript> = {};
  const afterScripts: Record<string, HostScript> = {};
  const recovery: Record<string, HostRecovery> = {};
  for (const h of hosts) {
    const p = pathsFor(h.deployTo);
    const prev = previous[h.name] ?? null;
    const markBad = prev && prev !== target ? [rel.setStatus(p, prev, "bad")] : [];
    // Cutover services move to the target on an idle slot (or find it still running there with keep_previous).
    const cut = cutoverSections(env, h, slotMoves(env, h, states[h.name]), target);
    startScripts[h.name] = { env: envFor(h), sections: cut.start };
    switchScripts[h.name] = {
      env: envFor(h),
      sections: [...cut.switch, ...phaseSection(env, h, "switch", [rel.switchCurrent(p, target), ...markBad], [], p.release(target))],
    };
    afterScripts[h.name] = {
      env: envFor(h),
      sections: [
        ...phaseSection(env, h, "restart", serviceRestarts(env, h), env.restart, p.current),
        ...cut.retire,
        ...phaseSection(env, h, "verify", [], env.verify, p.current),
      ],
    };
    const back = prev
      ? [{ phase: "switch", commands: [rel.switchCurrent(p, prev), rel.setStatus(p, prev, "ok")], timeoutMs: env.timeouts.switch }, ...cut.back]
      : [];
    recovery[h.name] = {
      env: envFor(h),
      always: [],
      ifSwitched: back,
      ifRestarted: [],
      last: cut.stopNew,
      ...(cut.switch.length ? { switchIsNotAtomic: true } : {}),
    };
  }
  const names = hosts.map((h) => h.name);
  const starting = names.filter((n) => (startScripts[n]?.sections.length ?? 0) > 0);
  const stages: RollbackPlan["stages"] = [
    ...(starting.length ? [{ kind: "hosts" as const, phases: ["start" as const], hosts: starting, scripts: startScripts }] : []),
    { kind: "hosts", phases: ["switch"], hosts: names, scripts: switchScripts },
  ];
  const restarting = names.filter((n) => (afterScripts[n]?.sections.length ?? 0) > 0);
  if (restarting.length) stages.push({ kind: "hosts", phases: ["restart", "verify"], hosts: restarting, scripts: afterScripts });
  const ps = states[primary.name];
  return {
    verb: "rollback",
    env: env.name,
    target,
    from,
    toCommit: commitOf(ps, target) ?? "unknown",
    fromCommit: commitOf(ps, from),
    hosts: names,
    primary: primary.name,
    previous,
    stages,
    recovery,
    onFailure: planFailureHooks(env, hosts, { SLIPWAY_FAILED_RELEASE: target }),
    releaseId: target,
    commit: commitOf(ps, target) ?? "unknown",
    deployTo: Object.fromEntries(hosts.map((h) => [h.name, h.deployTo])),
  };
}
