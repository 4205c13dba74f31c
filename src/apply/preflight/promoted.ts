/**
 * The `promoted_from` gate: the commit must be what the other environment (e.g. qa) runs, after
 * an ok deploy there, with nothing failed or different since, for at least `min_age`. Read from
 * that environment's primary: its `current` and its history.
 */
import { now } from "../../config/clock.js";
import type { HistoryEntry } from "../../plan/host-input.js";
import type { GateResult } from "../../plan/preflight.js";
import type { PreflightCheck } from "../preflight.js";
import { readOtherEnv } from "./other-env.js";

const fmtAge = (ms: number) => {
  const m = Math.floor(ms / 60_000);
  return m >= 120 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m` : `${m}m`;
};

/**
 * Since when `commit` has been current and healthy according to the history (newest last): the
 * oldest of the unbroken run of ok deploys/rollbacks to it at the end of the history.
 */
export function healthySince(history: HistoryEntry[], commit: string): { since: string | null; broken?: HistoryEntry } {
  let since: string | null = null;
  for (let i = history.length - 1; i >= 0; i--) {
    const e = history[i]!;
    if (e.verb === "db clone") continue;
    if (e.toCommit === commit && e.outcome === "ok") {
      since = e.at;
      continue;
    }
    if (since === null) return { since, broken: e };
    break;
  }
  return { since };
}

export function promotedResult(
  rule: { env: string; minAgeMs: number },
  commit: string,
  other: { commit: string | null; release: string | null; primary: string; history: HistoryEntry[] },
  at: Date,
): GateResult {
  const gate = "promoted_from";
  const short = commit.slice(0, 12);
  const hint = `deploy ${short} to ${rule.env} and let it run there for ${fmtAge(rule.minAgeMs)} (or: slipway <env> promote --from ${rule.env})`;
  const base = { env: rule.env, primary: other.primary, runs: other.commit, release: other.release, minAgeMs: rule.minAgeMs };
  if (other.commit !== commit)
    return {
      gate,
      ok: false,
      line: `${short} is not what ${rule.env} runs (${other.primary} runs ${other.commit ? other.commit.slice(0, 12) : "nothing"})`,
      evidence: base,
      hint,
    };
  const h = healthySince(other.history, commit);
  if (!h.since) {
    const b = h.broken;
    return {
      gate,
      ok: false,
      line: b
        ? `${rule.env}'s last ${b.verb} (${b.at}, ${b.outcome}, to ${b.toCommit.slice(0, 12)}) was not an ok deploy of ${short}`
        : `${rule.env}'s history has no ok deploy of ${short}`,
      evidence: { ...base, last: b ? { at: b.at, verb: b.verb, outcome: b.outcome, toCommit: b.toCommit } : null },
      hint,
    };
  }
  const age = at.getTime() - Date.parse(h.since);
  const evidence = { ...base, since: h.since, ageMs: age };
  if (age >= rule.minAgeMs)
    return {
      gate,
      ok: true,
      line: `${short} deployed ok to ${rule.env} at ${h.since}, current and healthy for ${fmtAge(age)} (≥ ${fmtAge(rule.minAgeMs)})`,
      evidence,
    };
  const ready = new Date(Date.parse(h.since) + rule.minAgeMs).toISOString();
  return {
    gate,
    ok: false,
    line: `${short} has run on ${rule.env} for ${fmtAge(Math.max(0, age))} since ${h.since}, less than ${fmtAge(rule.minAgeMs)}`,
    evidence,
    hint: `wait until ${ready}`,
  };
}

export const promotedCheck: PreflightCheck = {
  names: (ctx) => (ctx.env.gates.promotedFrom ? ["promoted_from"] : []),
  async run(ctx, _hosts, input, phase) {
    const rule = ctx.env.gates.promotedFrom;
    if (!rule || phase !== "start") return [];
    try {
      const o = await readOtherEnv(ctx, rule.env, null, 200);
      for (const p of o.problems) ctx.bus.warn(`${rule.env}: ${p}`);
      return [promotedResult(rule, input.commit, o, now())];
    } catch (e) {
      return [
        {
          gate: "promoted_from",
          ok: false,
          line: `cannot read ${rule.env}: ${(e as Error).message.split("\n")[0]}`,
          hint: `check that ${rule.env} is reachable`,
        },
      ];
    }
  },
};
