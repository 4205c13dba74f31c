/**
 * Which releases cleanup removes: a pure rule, so it is tested without a host; and
 * planCleanup(env, hosts, states, mode), the `cleanup` / `clean-releases` plan built from it.
 */
import { pathsFor } from "../config/paths.js";
import type { Environment, Host } from "../config/resolve.js";
import { pruneDependencies, removeReleases } from "../commands/release.js";
import type { HostScript } from "../commands/script.js";
import type { OpsStage } from "./ops.js";
import type { HostState } from "./state.js";
import { rollbackCandidates } from "./state.js";

/**
 * Keep the `keep` newest good releases, `current`, and the release a rollback would go to.
 * Remove failed and bad releases, and `building` ones older than current (abandoned deploys).
 * A `building` release newer than current may be a deploy still running or to be resumed: kept.
 * A `private` release (setup-release) is kept until its expiry.
 */
export function releasesToRemove(state: HostState, keep: number, alsoKeep: string[] = [], now = new Date()): string[] {
  const protect = new Set<string>(alsoKeep);
  if (state.current) protect.add(state.current);
  const rb = rollbackCandidates(state, state.current)[0];
  if (rb) protect.add(rb.id);
  const good = state.releases.filter((r) => r.status === "ok").map((r) => r.id);
  for (const id of good.slice(-keep)) protect.add(id);
  const remove: string[] = [];
  for (const r of state.releases) {
    if (protect.has(r.id)) continue;
    if (r.status === "building" && (state.current === null || r.id > state.current)) continue;
    if (r.status === "private" && !(r.manifest?.expiresAt && Date.parse(r.manifest.expiresAt) < now.getTime())) continue;
    remove.push(r.id);
  }
  return remove;
}

/** `clean-releases`: failed releases and private ones past their expiry; never current. */
export function failedOrExpired(state: HostState, now = new Date()): string[] {
  return state.releases
    .filter((r) => r.id !== state.current)
    .filter((r) => r.status === "failed" || (r.status === "private" && r.manifest?.expiresAt !== undefined && Date.parse(r.manifest.expiresAt) < now.getTime()))
    .map((r) => r.id);
}

export interface CleanupPlan {
  verb: "cleanup" | "clean-releases";
  env: string;
  hosts: string[];
  /** Taken on the primary around the removal. */
  lock: string;
  /** The release ids each host would lose (empty: nothing to remove there). */
  removals: Record<string, string[]>;
  /** One round trip per host with something to remove: the releases, then unused dependency sets. */
  stages: OpsStage[];
}

/** `cleanup` trims to keep_releases; `clean-releases` only removes failed and expired private releases. */
export function planCleanup(env: Environment, hosts: Host[], states: Record<string, HostState>, mode: CleanupPlan["verb"], now = new Date()): CleanupPlan {
  const removals: Record<string, string[]> = {};
  const scripts: Record<string, HostScript> = {};
  for (const h of hosts) {
    const st = states[h.name]!;
    const ids = mode === "cleanup" ? releasesToRemove(st, env.keepReleases, [], now) : failedOrExpired(st, now);
    removals[h.name] = ids;
    const p = pathsFor(h.deployTo);
    const prune = env.dependencies.length
      ? [
          pruneDependencies(
            p,
            env.dependencies.map((d) => d.path),
          ),
        ]
      : [];
    if (ids.length) scripts[h.name] = { env: {}, sections: [{ phase: "cleanup", commands: [removeReleases(p, ids), ...prune] }] };
  }
  const busy = hosts.map((h) => h.name).filter((n) => scripts[n]);
  const stages: OpsStage[] = busy.length ? [{ kind: "hosts", label: "cleanup", hosts: busy, scripts }] : [];
  return { verb: mode, env: env.name, hosts: hosts.map((h) => h.name), lock: env.primary.name, removals, stages };
}
