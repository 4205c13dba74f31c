/**
 * The `approvals` gate: N distinct people of `from` approved this exact commit
 * (`slipway <env> approve`), stored on the primary so every control machine sees the same ones.
 */
import { type Approval, readApprovals, writeApproval } from "../../commands/approvals.js";
import { pathsFor } from "../../config/paths.js";
import { capture } from "../../exec/runner.js";
import { decideApprovals, parseApprovals, userOf } from "../../plan/approvals-input.js";
import type { RunContext } from "../context.js";
import type { PreflightCheck } from "../preflight.js";

export async function loadApprovals(ctx: RunContext, commit?: string): Promise<Approval[]> {
  const ex = await ctx.pool.get(ctx.env.primary);
  const out = await capture(ex, "approvals", readApprovals(pathsFor(ctx.env.primary.deployTo), commit), "read approvals", ctx.signal, 60_000);
  const { approvals, problems } = parseApprovals(out);
  for (const p of problems) ctx.bus.warn(`${ctx.env.primary.name}: ${p}`);
  return approvals;
}

export async function storeApproval(ctx: RunContext, a: Approval): Promise<void> {
  const ex = await ctx.pool.get(ctx.env.primary);
  await capture(ex, "approve", writeApproval(pathsFor(ctx.env.primary.deployTo), a), "store approval", ctx.signal, 60_000);
}

export const approvalsCheck: PreflightCheck = {
  names: (ctx) => (ctx.env.gates.approvals ? ["approvals"] : []),
  async run(ctx, _hosts, input, phase) {
    const rule = ctx.env.gates.approvals;
    if (!rule || phase !== "start") return [];
    const approvals = await loadApprovals(ctx, input.commit);
    const deployer = userOf(ctx.by);
    const d = decideApprovals(rule, approvals, input.commit, deployer);
    const evidence = {
      required: rule.required,
      approvers: approvals.filter((a) => d.counted.includes(a.who)).map((a) => ({ who: a.who, at: a.at, why: a.why })),
      ignored: d.ignored,
      deployer,
    };
    const missing = rule.required - d.counted.length;
    return [
      d.ok
        ? { gate: "approvals", ok: true, line: d.line, evidence }
        : {
            gate: "approvals",
            ok: false,
            line: d.line,
            evidence,
            hint: `${missing} more from ${rule.from.filter((f) => !d.counted.includes(f) && !(rule.noSelfApproval && f === deployer)).join(", ")}: slipway ${ctx.env.name} approve ${input.commit.slice(0, 12)} -m "why"`,
          },
    ];
  },
};
