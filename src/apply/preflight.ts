/**
 * Preflight: run every gate check for a deploy (or rollback), apply `--override`, and refuse with
 * the failing rules. Each kind of gate is one check in apply/preflight/ listed in CHECKS.
 */
import type { Host } from "../config/resolve.js";
import { OperationError, UsageError } from "../errors.js";
import { applyOverrides, gateLines, refusalText, unknownOverrides, type GateResult, type PreflightInput, type PreflightPhase } from "../plan/preflight.js";
import type { RunContext } from "./context.js";
import { windowsCheck } from "./preflight/windows.js";
import { announceCheck } from "./preflight/announce.js";
import { tasksCheck } from "./preflight/tasks.js";
import { approvalsCheck } from "./preflight/approvals.js";
import { ciCheck } from "./preflight/ci.js";
import { metricCheck } from "./preflight/metric.js";
import { promotedCheck } from "./preflight/promoted.js";
import { requiresCheck } from "./preflight/requires.js";
import { handEditsCheck } from "./preflight/handedits.js";

export type { PreflightInput } from "../plan/preflight.js";

/** One kind of gate: the results it finds for this phase (none when it does not apply). */
export interface PreflightCheck {
  /** Gate names this check can report (what --override accepts). */
  names(ctx: RunContext): string[];
  run(ctx: RunContext, hosts: Host[], input: PreflightInput, phase: PreflightPhase): Promise<GateResult[]>;
  /** Whether it must be evaluated again right before the switch (metrics). */
  atSwitch?(ctx: RunContext): boolean;
}

/** Whether any configured gate is checked again right before the switch (the plan then has that stage). */
export const gatesAtSwitch = (ctx: RunContext) => CHECKS.some((c) => c.atSwitch?.(ctx) === true);

/** Every kind of gate, in the order they are reported. Adding one: a file in apply/preflight/ and a line here. */
const CHECKS: PreflightCheck[] = [windowsCheck, ciCheck, requiresCheck, promotedCheck, approvalsCheck, metricCheck, announceCheck, tasksCheck, handEditsCheck];

export interface PreflightOptions {
  overrides: string[];
  reason?: string;
  /** --plan: report, never refuse. */
  preview?: boolean;
}

export async function preflight(ctx: RunContext, hosts: Host[], input: PreflightInput, phase: PreflightPhase, o: PreflightOptions): Promise<GateResult[]> {
  const known = CHECKS.flatMap((c) => c.names(ctx));
  const unknown = unknownOverrides(o.overrides, known);
  if (unknown.length)
    throw new UsageError(`--override: no gate named ${unknown.join(", ")} in ${ctx.env.name}; gates: ${known.join(", ") || "(none configured)"}`);
  if (o.overrides.length && !o.reason && !o.preview) throw new UsageError('--override needs -m "why": the reason is recorded with the release');
  const found: GateResult[] = [];
  for (const c of CHECKS) found.push(...(await c.run(ctx, hosts, input, phase)).map((r) => ({ ...r, phase })));
  const results = applyOverrides(found, o.overrides, ctx.by, o.reason);
  if (o.preview) return results;
  for (const line of gateLines(results)) ctx.bus.info(`gate ${line}`);
  const refuse = refusalText(input.verb, results);
  if (refuse) throw new OperationError(refuse);
  return results;
}
