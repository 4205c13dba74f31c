/**
 * Preflight gates, pure part: what a gate reports (pass/fail, one line, the evidence it used),
 * how `--override GATE -m why` turns a failure into a recorded pass, and the refusal that names
 * every failing rule with its evidence and the way forward. The checks themselves live in
 * apply/preflight/*.ts (CI status, approvals, metrics, windows, announcements, tasks, ...).
 */

import type { HostState } from "./state.js";

/** When a gate is evaluated: before anything changes, or again right before the switch. */
export type PreflightPhase = "start" | "switch";

export interface GateResult {
  /** The gate's name as `--override` takes it (e.g. `ci`, `approvals`, `windows`). */
  gate: string;
  ok: boolean;
  /** One line saying what was checked and what it found. */
  line: string;
  /** What the gate used to decide (URL and value, approvers, the rule, ...), stored with the release. */
  evidence?: Record<string, unknown>;
  /** How to go on when it fails (besides --override). */
  hint?: string;
  phase?: PreflightPhase;
  overridden?: { by: string; reason: string };
}

/** Failing gates named in `overrides` pass, with who and why recorded. */
export function applyOverrides(results: GateResult[], overrides: string[], by: string, reason: string | undefined): GateResult[] {
  return results.map((r) => (!r.ok && (overrides.includes(r.gate) || overrides.includes("all")) ? { ...r, overridden: { by, reason: reason ?? "" } } : r));
}

export const blocking = (results: GateResult[]) => results.filter((r) => !r.ok && !r.overridden);

/** `--override` names that match no gate are a mistake worth stopping for (a typo would deploy nothing new). */
export function unknownOverrides(overrides: string[], known: string[]): string[] {
  return overrides.filter((o) => o !== "all" && !known.includes(o));
}

/** The refusal: every failing gate, its evidence line, and how to go on. */
export function refusalText(verb: string, results: GateResult[]): string | null {
  const bad = blocking(results);
  if (!bad.length) return null;
  const lines = bad.map((r) => `  ${r.gate}: ${r.line}${r.hint ? `\n    → ${r.hint}` : ""}`);
  const names = [...new Set(bad.map((r) => r.gate))].join(",");
  return `${verb} refused by ${bad.length === 1 ? "a gate" : `${bad.length} gates`}:\n${lines.join("\n")}\n  (an emergency: --override ${names} -m "why", recorded with who and when)`;
}

/** Lines for `--plan`, history and the run's output. */
export function gateLines(results: GateResult[]): string[] {
  return results.map((r) => {
    const mark = r.ok ? "pass" : r.overridden ? "OVERRIDDEN" : "FAIL";
    const who = r.overridden ? ` (by ${r.overridden.by}: ${r.overridden.reason || "no reason given"})` : "";
    return `${mark.padEnd(10)} ${r.gate}: ${r.line}${who}`;
  });
}

/** What a manifest and history keep of each result (bounded: manifests are read 4 KiB at a time). */
export function gateRecord(results: GateResult[]): { gate: string; ok: boolean; line: string; overridden?: { by: string; reason: string } }[] {
  return results.map((r) => ({ gate: r.gate, ok: r.ok, line: r.line.slice(0, 300), ...(r.overridden ? { overridden: r.overridden } : {}) }));
}

export interface PreflightInput {
  verb: "deploy" | "rollback";
  commit: string;
  ref: string;
  /** The deploy needs downtime (its alters, the downtime command, or --downtime). */
  needsDowntime: boolean;
  states: Record<string, HostState>;
  release?: string;
}
