/** History lines: who, when, how long and which tool, around what an operation says it did. */
import type { HistoryEntry } from "../plan/host-input.js";
import type { RunContext } from "./context.js";

export type { HistoryEntry } from "../plan/host-input.js";

/** A history line for this run, stamped now. */
export function historyEntry(
  ctx: RunContext,
  t0: number,
  outcome: HistoryEntry["outcome"],
  what: Omit<HistoryEntry, "at" | "env" | "by" | "outcome" | "durationMs" | "toolVersion">,
): HistoryEntry {
  return { at: new Date().toISOString(), env: ctx.env.name, by: ctx.by, outcome, durationMs: Date.now() - t0, toolVersion: ctx.toolVersion, ...what };
}

export { commitOf } from "../plan/state.js";
