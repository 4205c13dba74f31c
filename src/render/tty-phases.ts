/**
 * Per-phase tallies for the live view of a big fleet: one line per phase ("build 37/50 · 2 failed:
 * web7, web9 · 4.1s") instead of one per host, so 500 hosts fit a screen.
 */
import type { HostPhaseStatus } from "../events/types.js";
import { sanitizeTerminal } from "./sanitize.js";

/** Names listed after "failed:" before the rest is counted. */
const MAX_NAMED = 5;

interface Tally {
  /** Hosts the phase runs on (its stage's), or unknown when no stage announced it. */
  total?: number;
  status: Map<string, HostPhaseStatus>;
  start: number;
  end?: number;
}

/** Every phase seen so far, in order, with each host's status in it. */
export class PhaseTallies {
  private phases = new Map<string, Tally>();
  private stage: Set<string> | null = null;

  /** A stage starts (`phase:start`): phases first seen on its hosts run on all of them. */
  stageStart(hosts: string[]): void {
    this.stage = new Set(hosts);
  }

  stageEnd(): void {
    this.stage = null;
  }

  update(host: string, phase: string, status: HostPhaseStatus, now: number): void {
    let t = this.phases.get(phase);
    if (!t) {
      t = { total: this.stage?.has(host) ? this.stage.size : undefined, status: new Map(), start: now };
      this.phases.set(phase, t);
    }
    t.status.set(host, status);
    const finished = [...t.status.values()].filter((s) => s !== "running").length;
    t.end = finished >= (t.total ?? t.status.size) ? now : undefined;
  }

  /** One line per phase; `icon` draws the state (running / done / failed). */
  lines(now: number, icon: (state: "running" | "done" | "failed") => string): string[] {
    const width = Math.max(...[...this.phases.keys()].map((k) => k.length), 5);
    return [...this.phases].map(([phase, t]) => {
      const by = (s: HostPhaseStatus) => [...t.status].filter(([, x]) => x === s).map(([h]) => h);
      const failed = by("failed");
      const running = by("running").length;
      const skipped = by("skipped").length;
      const parts = [`${by("done").length}/${t.total ?? t.status.size}`];
      if (running) parts.push(`${running} running`);
      if (skipped) parts.push(`${skipped} skipped`);
      if (failed.length) {
        const named = failed.slice(0, MAX_NAMED).map(sanitizeTerminal).join(", ");
        parts.push(`${failed.length} failed: ${named}${failed.length > MAX_NAMED ? `, +${failed.length - MAX_NAMED} more` : ""}`);
      }
      parts.push(seconds((t.end ?? now) - t.start));
      const state = t.end === undefined ? "running" : failed.length ? "failed" : "done";
      return `${icon(state)} ${phase.padEnd(width)} ${parts.join(" · ")}`;
    });
  }
}

/** `12.3s`: the one way the live view writes a duration. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
