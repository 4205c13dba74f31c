/**
 * planDeploy(config, hostState) → Plan: pure. It drives `--plan` and the real run alike, so what
 * the operator previews is exactly what runs.
 */
import { pathsFor } from "../config/paths.js";
import type { Command, Environment, Host } from "../config/resolve.js";
import { appliesTo } from "../config/roles.js";
import * as rel from "../commands/release.js";
import type { HostScript, ScriptCommand, Section } from "../commands/script.js";
import { releasesToRemove } from "./cleanup.js";
import { planFailureHooks, planRecovery, type FailureHooks, type HostRecovery } from "./recovery.js";
import { rollStages } from "./rolling.js";
import { gateRecord, type GateResult } from "./preflight.js";
import { addDbStages, type DbDeployInput, type DbDeployPlan, type DeployDowntime } from "./deploy-db.js";
import { nextReleaseId, skipJournaled } from "./resume.js";
import { DEPLOY_GROUPS, type Phase } from "./phases.js";
import type { DeployingInfo, HostState, Manifest } from "./state.js";
import { commandEnv, forHost, phaseSection, serviceRestarts, userCmds } from "./sections.js";
import type { Stage } from "./stage.js";
import { cutoverSections, slotMoves, type CutoverSections } from "./cutover.js";

export { nextReleaseId } from "./resume.js";
export type { Stage } from "./stage.js";

export interface DeployPlan {
  verb: "deploy";
  env: string;
  releaseId: string;
  commit: string;
  ref: string;
  hosts: string[];
  primary: string;
  previous: Record<string, string | null>;
  manifest: Manifest;
  stages: Stage[];
  /** Per host: releases cleanup will remove. */
  removals: Record<string, string[]>;
  /** What a failure does on each host, and the on_failure hooks (see plan/recovery.ts). */
  recovery: Record<string, HostRecovery>;
  onFailure: FailureHooks;
  recoveryNote: string;
  /** Each host's deploy_to, so `--plan` can group hosts whose commands differ only by it. */
  deployTo?: Record<string, string>;
  /** Databases: backups, alters, schema record and the downtime class (absent without databases). */
  db?: DbDeployPlan;
  /** Gate results at the start (`--plan` shows them; the manifest keeps them). */
  gates?: GateResult[];
}

export interface DeployInput {
  env: Environment;
  hosts: Host[];
  states: Record<string, HostState>;
  commit: string;
  ref: string;
  now: Date;
  by: string;
  toolVersion: string;
  /** Continue an interrupted deploy: same release and commit; steps in each host's journal are skipped. */
  resume?: { release: string; previous: string | null; manifest: Manifest | null; deploying: DeployingInfo };
  /** Code only: dependencies copied from the previous release; no build, migrate or cleanup. */
  hotfix?: boolean;
  /** setup-release: build without switching; kept until `now + keepDays`. */
  privateDays?: number;
  /** Gate results at the start (kept in the manifest), and whether gates run again before the switch. */
  gates?: { results: GateResult[]; atSwitch: boolean };
  /** What apply/deploy-db.ts read about each database, and the downtime decision. */
  databases?: { inputs: DbDeployInput[]; downtime: DeployDowntime };
  /** Rolling: switch, restart and check this many hosts (or a percentage) at a time. */
  batchSize?: string;
  batchWaitMs?: number;
}

/** Paths the release digest leaves out: shared links and dependency directories (they change without a deploy). */
export const digestSkip = (env: Environment): string[] => [...env.shared.dirs, ...env.shared.files, ...env.dependencies.map((d) => d.path)];

export function planDeploy(input: DeployInput): DeployPlan {
  const { env, hosts, states, commit, ref } = input;
  const id = input.resume?.release ?? nextReleaseId(input.now, commit, Object.values(states));
  const names = hosts.map((h) => h.name);
  const primary = hosts.find((h) => h.name === env.primary.name) ?? hosts[0]!;
  // On resume a host that already switched reports the new release as current; its previous is the deploy's.
  const previous = Object.fromEntries(
    hosts.map((h) => {
      const cur = states[h.name]?.current ?? null;
      return [h.name, input.resume && cur === id ? input.resume.previous : cur];
    }),
  );
  const isPrivate = input.privateDays !== undefined;
  // The control machine sends the files (a directory, an artifact, or `distribute: push`) with the build script.
  const uploads = env.source.type === "dir" || env.source.distribute !== "git";
  const manifest: Manifest = input.resume?.manifest ?? {
    id,
    app: env.app,
    env: env.name,
    commit,
    ref,
    source: env.source.type,
    deployedBy: input.by,
    createdAt: input.now.toISOString(),
    toolVersion: input.toolVersion,
    previous: previous[primary.name] ?? null,
    ...(input.hotfix ? { hotfix: true } : {}),
    ...(isPrivate ? { expiresAt: new Date(input.now.getTime() + input.privateDays! * 86_400_000).toISOString() } : {}),
    ...(input.gates?.results.length ? { gates: gateRecord(input.gates.results) } : {}),
  };
  const deploying: DeployingInfo = input.resume?.deploying ?? {
    release: id,
    commit,
    ref,
    by: input.by,
    startedAt: input.now.toISOString(),
    previous: manifest.previous,
    ...(input.hotfix ? { hotfix: true } : {}),
  };
  const removals: Record<string, string[]> = {};
  for (const h of hosts) {
    const st = states[h.name];
    if (!st) continue;
    // After this deploy the new release is current. The release live now is what a switch-back
    // returns to, so it is kept whatever its status (a release rolled back to by name stays `bad`).
    const after: HostState = { ...st, current: id, releases: [...st.releases.filter((r) => r.id !== id), { id, status: "ok", manifest }] };
    const live = previous[h.name] ? [previous[h.name]!] : [];
    removals[h.name] = input.hotfix || isPrivate ? [] : releasesToRemove(after, env.keepReleases, live, input.now);
  }

  // The file digest (hand-edit detection) is taken last in the build phase, after its hooks: what goes live is what it records.
  const withDigest = (release: string, build: Section[]): Section[] =>
    isPrivate ? build : [...build, { phase: "build", cwd: release, commands: [rel.writeDigest(digestSkip(env))] }];

  const cutover: Record<string, CutoverSections> = isPrivate
    ? {}
    : Object.fromEntries(hosts.map((h) => [h.name, cutoverSections(env, h, slotMoves(env, h, states[h.name]), id)]));
  const phaseSections = (h: Host, phase: Phase): Section[] => {
    const p = pathsFor(h.deployTo);
    const release = p.release(id);
    switch (phase) {
      case "fetch": {
        const own: ScriptCommand[] = [rel.ensureLayout(p)];
        if (uploads) own.push(rel.receiveUpload(p, id, previous[h.name] ?? null));
        else if (env.source.type === "git") own.push(rel.updateMirror(p, env.source.repo, commit), rel.archiveCommit(p, id, commit));
        own.push(rel.writeManifest(p, id, manifest));
        if (h.name === primary.name && !isPrivate) own.push(rel.writeDeploying(p, deploying));
        return phaseSection(env, h, phase, own, []).map((sec) => (uploads ? { ...sec, payload: true } : sec));
      }
      case "link":
        return phaseSection(env, h, phase, rel.linkShared(p, id, env.shared.dirs, env.shared.files), [], release);
      case "build": {
        const deps = env.dependencies.filter((d) => appliesTo(d.roles, h));
        const prev = previous[h.name] ?? null;
        if (input.hotfix)
          return withDigest(
            release,
            phaseSection(
              env,
              h,
              phase,
              deps.map((d) => rel.copyDependency(p, prev, d)),
              [],
              release,
            ),
          );
        const done = isPrivate ? [rel.setStatus(p, id, "private")] : [];
        return withDigest(
          release,
          phaseSection(env, h, phase, [...deps.map((d) => rel.installDependency(p, d)), ...userCmds(forHost(env.build, h)), ...done], [], release),
        );
      }
      case "migrate": {
        if (h.name !== primary.name || input.hotfix) return [];
        // Migrations may rewrite files of the release (a schema dump): the digest is taken again after them.
        const m = phaseSection(env, h, phase, [], env.migrate, release);
        return m.length ? [...m, { phase, cwd: release, commands: [rel.writeDigest(digestSkip(env))] }] : [];
      }
      case "start":
        return cutover[h.name]?.start ?? [];
      case "switch":
        return [...(cutover[h.name]?.switch ?? []), ...phaseSection(env, h, phase, [rel.setStatus(p, id, "ok"), rel.switchCurrent(p, id)], [], release)];
      case "restart":
        return [...phaseSection(env, h, phase, serviceRestarts(env, h), env.restart, p.current), ...(cutover[h.name]?.retire ?? [])];
      case "verify":
        return phaseSection(env, h, phase, [], env.verify, p.current);
      case "cleanup": {
        const ids = removals[h.name] ?? [];
        const prune =
          ids.length && env.dependencies.length
            ? [
                rel.pruneDependencies(
                  p,
                  env.dependencies.map((d) => d.path),
                ),
              ]
            : [];
        return phaseSection(env, h, phase, ids.length ? [rel.removeReleases(p, ids), ...prune] : [], [], release);
      }
      default:
        return [];
    }
  };

  const stages: Stage[] = [];
  for (const group of isPrivate ? DEPLOY_GROUPS.slice(0, 1) : DEPLOY_GROUPS) {
    let pending: { phases: Phase[]; scripts: Record<string, HostScript> } | null = null;
    const flush = () => {
      if (!pending) return;
      const active = names.filter((n) => (pending!.scripts[n]?.sections.length ?? 0) > 0);
      if (active.length)
        stages.push({
          kind: "hosts",
          phases: pending.phases,
          hosts: active,
          scripts: pending.scripts,
          ...(uploads && pending.phases.includes("fetch") ? { upload: true } : {}),
        });
      pending = null;
    };
    for (const phase of group) {
      const localBefore = (env.hooks.before[phase] ?? []).filter((c) => c.local);
      const localAfter = (env.hooks.after[phase] ?? []).filter((c) => c.local);
      const localScript = (cs: Command[]): HostScript => ({
        sections: [{ phase, cwd: env.configDir, commands: userCmds(cs) }],
        env: commandEnv(env, { SLIPWAY_RELEASE: id, SLIPWAY_COMMIT: commit }),
      });
      if (localBefore.length) {
        flush();
        stages.push({ kind: "local", phase, when: "before", script: localScript(localBefore) });
      }
      pending ??= { phases: [], scripts: {} };
      pending.phases.push(phase);
      for (const h of hosts) {
        const sections = phaseSections(h, phase);
        const s = (pending.scripts[h.name] ??= {
          sections: [],
          journal: pathsFor(h.deployTo).releaseJournal(id),
          env: commandEnv(env, {
            SLIPWAY_RELEASE: id,
            SLIPWAY_RELEASE_PATH: pathsFor(h.deployTo).release(id),
            SLIPWAY_COMMIT: commit,
            SLIPWAY_HOST: h.name,
            SLIPWAY_PREVIOUS_RELEASE: previous[h.name] ?? "",
          }),
        });
        s.sections.push(...sections);
      }
      if (localAfter.length) {
        flush();
        stages.push({ kind: "local", phase, when: "after", script: localScript(localAfter) });
      }
    }
    flush();
  }
  if (input.resume) {
    skipJournaled(stages, states, id);
    // Before anything else on each host, stop what the interrupted run may still be doing there.
    stages.unshift({
      kind: "hosts",
      phases: ["check"],
      hosts: names,
      scripts: Object.fromEntries(
        hosts.map((h) => [h.name, { env: {}, sections: [{ phase: "check", commands: [rel.stopLeftovers(pathsFor(h.deployTo), id)] }] }]),
      ),
    });
  }
  if (!input.hotfix && !isPrivate && env.presteps.some((x) => x.required)) {
    const at = stages.findIndex((st) => st.kind === "hosts" && (st.phases.includes("migrate") || st.phases.includes("switch")));
    if (at >= 0) stages.splice(at, 0, { kind: "gate", gate: "presteps" });
  }
  if (input.gates?.atSwitch && !isPrivate) {
    const at = stages.findIndex((st) => st.kind === "hosts" && st.phases.includes("switch"));
    if (at >= 0) stages.splice(at, 0, { kind: "preflight", phase: "switch" });
  }
  const db = input.databases && !input.hotfix && !isPrivate ? addDbStages(env, stages, input.databases.inputs, input.databases.downtime, names) : undefined;
  return {
    verb: "deploy",
    env: env.name,
    releaseId: id,
    commit,
    ref,
    hosts: names,
    primary: primary.name,
    previous,
    manifest,
    stages: input.batchSize ? rollStages(stages, input.batchSize, input.batchWaitMs) : stages,
    removals,
    recovery: planRecovery(env, hosts, id, previous, cutover),
    onFailure: planFailureHooks(env, hosts, { SLIPWAY_FAILED_RELEASE: id }),
    recoveryNote: `release ${id} marked failed`,
    deployTo: Object.fromEntries(hosts.map((h) => [h.name, h.deployTo])),
    ...(db ? { db } : {}),
    ...(input.gates?.results.length ? { gates: input.gates.results } : {}),
  };
}
