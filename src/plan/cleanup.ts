/** Which releases cleanup removes: a pure rule, so it is tested without a host. */
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
