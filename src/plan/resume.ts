/** Release ids and resuming: the pieces of planDeploy that depend on what is already on the hosts. */
import { parseReleaseTime, releaseId as makeReleaseId } from "../config/paths.js";
import { sectionHash } from "../commands/script.js";
import type { Stage } from "./stage.js";
import type { HostState } from "./state.js";

/**
 * A release id that sorts after every existing release on every host, so "newest" is always the
 * last id even when two deploys start in the same second or a control machine's clock lags.
 */
export function nextReleaseId(now: Date, commit: string, states: HostState[]): string {
  const newest = states
    .flatMap((s) => s.releases.map((r) => r.id))
    .sort()
    .at(-1);
  const last = newest ? parseReleaseTime(newest) : null;
  const at = last && last.getTime() >= Math.floor(now.getTime() / 1000) * 1000 ? new Date(last.getTime() + 1000) : now;
  return makeReleaseId(at, commit);
}

/** Resume: drop each host's sections whose journal entry (same phase, same input hash) says they are done. */
export function skipJournaled(stages: Stage[], states: Record<string, HostState>, id: string): void {
  for (const stage of stages) {
    if (stage.kind !== "hosts") continue;
    for (const [host, script] of Object.entries(stage.scripts)) {
      const done = states[host]?.journal[id] ?? {};
      script.sections = script.sections.filter((sec) => done[sec.phase] !== sectionHash(sec));
    }
    stage.hosts = stage.hosts.filter((h) => (stage.scripts[h]?.sections.length ?? 0) > 0);
  }
}
