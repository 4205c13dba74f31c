/**
 * The `metric` gates: a number from an HTTP query or a command that must be under (or over) a
 * threshold, e.g. requests per minute below 15000. Checked at the start and again right before
 * the switch, since traffic moves while a release builds.
 */
import type { MetricGate } from "../../config/resolve-gates.js";
import type { GateResult } from "../../plan/preflight.js";
import type { RunContext } from "../context.js";
import type { PreflightCheck } from "../preflight.js";
import { atPath, fillUrl, httpGet, runLocal, shown } from "./probe.js";

const gateName = (m: MetricGate) => `metric:${m.name}`;

/** A number as a metric answers it: a JSON number or a decimal string, nothing else. */
export function asNumber(v: unknown): number | null {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && /^\s*-?\d+(\.\d+)?([eE][-+]?\d+)?\s*$/.test(v)) return Number(v);
  return null;
}

export function judge(m: MetricGate, value: number): { ok: boolean; rule: string } {
  const rules: string[] = [];
  let ok = true;
  if (m.below !== undefined) {
    rules.push(`< ${m.below}`);
    if (!(value < m.below)) ok = false;
  }
  if (m.above !== undefined) {
    rules.push(`> ${m.above}`);
    if (!(value > m.above)) ok = false;
  }
  return { ok, rule: rules.join(" and ") };
}

async function one(ctx: RunContext, m: MetricGate, commit: string, ref: string): Promise<GateResult> {
  const gate = gateName(m);
  const source = m.kind === "http" ? fillUrl(m.url, commit) : m.command;
  const a =
    m.kind === "http"
      ? await httpGet(m, source, ctx.signal)
      : await runLocal(m.command, { SLIPWAY_COMMIT: commit, SLIPWAY_REF: ref, SLIPWAY_ENV: ctx.env.name }, m.timeoutMs, ctx.env.configDir, ctx.signal);
  const rule = judge(m, 0).rule;
  const base = { source, ...(m.jsonPath ? { jsonPath: m.jsonPath } : {}), status: a.status, rule };
  if (!a.ok)
    return {
      gate,
      ok: false,
      line: `${m.name} unknown: ${a.error ?? (m.kind === "http" ? `HTTP ${a.status}` : `exit ${a.status}`)} from ${source}`,
      evidence: base,
      hint: "the metric must be readable to deploy; check gates.metric",
    };
  const raw = atPath(a.body, m.jsonPath);
  const value = asNumber(raw);
  if (value === null)
    return {
      gate,
      ok: false,
      line: `${m.name}: ${shown(raw)} is not a number (${source}${m.jsonPath ? ` ${m.jsonPath}` : ""})`,
      evidence: { ...base, value: raw },
      hint: "check gates.metric json_path",
    };
  const j = judge(m, value);
  return j.ok
    ? { gate, ok: true, line: `${m.name} = ${value} (${j.rule})`, evidence: { ...base, value } }
    : { gate, ok: false, line: `${m.name} = ${value}, must be ${j.rule} (${source})`, evidence: { ...base, value }, hint: `wait until ${m.name} is ${j.rule}` };
}

export const metricCheck: PreflightCheck = {
  names: (ctx) => ctx.env.gates.metric.map(gateName),
  atSwitch: (ctx) => ctx.env.gates.metric.length > 0,
  async run(ctx, _hosts, input) {
    return Promise.all(ctx.env.gates.metric.map((m) => one(ctx, m, input.commit, input.ref)));
  },
};
