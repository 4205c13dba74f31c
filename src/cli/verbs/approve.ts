/** `slipway <env> approve <commit|ref> -m why`: approve this exact commit for the environment's approvals gate. */
import { userOf } from "../../plan/approvals-input.js";
import { isApprover } from "../../commands/approvals.js";
import { storeApproval } from "../../apply/preflight/approvals.js";
import { resolveSource } from "../../apply/source.js";
import { now } from "../../config/clock.js";
import { UsageError } from "../../errors.js";
import type { Globals } from "../registry.js";
import { openSession, parseVerb, runOperation, verbCommand } from "../session.js";

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    "approve",
    "Approve one exact commit for this environment (gates.approvals); stored on the primary host with who, when and why, so every control machine sees it.",
    'slipway production approve v1.5.0 -m "reviewed the migration plan"',
  )
    .argument("<commit|ref>", "the commit, or a branch/tag resolved to its commit now")
    .option("-m, --message <why>", "why you approve (required, recorded)");
  const parsed = parseVerb<{ message?: string }>(cmd, args, globals);
  if (!parsed) return 0;
  if (!parsed.opts.message?.trim()) throw new UsageError('approve needs -m "why": the reason is recorded with the approval');
  const s = await openSession(parsed.opts, { verb: "approve", record: true, quiet: true });
  return runOperation(s, async () => {
    const who = userOf(s.ctx.by);
    if (!isApprover(who)) throw new UsageError(`approve: user name ${JSON.stringify(who)} cannot be stored (letters, digits, . _ - only); set SLIPWAY_USER`);
    const rule = s.env.gates.approvals;
    if (rule && !rule.from.includes(who))
      throw new UsageError(`approve refused: ${who} is not in environments.${s.env.name}.gates.approvals.from (${rule.from.join(", ")}); ask one of them`);
    if (s.env.source.type === "dir") throw new UsageError("approve: a directory source has no commits to approve");
    const src = await resolveSource(s.env.source, parsed.args[0]);
    const a = { commit: src.commit, who, by: s.ctx.by, at: now().toISOString(), ref: parsed.args[0]!, why: parsed.opts.message!.trim() };
    await storeApproval(s.ctx, a);
    if (parsed.opts.json) s.out.data(a);
    else {
      const note = !rule
        ? ` (note: ${s.env.name} has no approvals gate)`
        : rule.noSelfApproval
          ? ` (it does not count for a deploy ${who} runs: no_self_approval)`
          : "";
      s.out.text(`${who} approved ${src.commit.slice(0, 12)} (${a.ref}) for ${s.env.name}: "${a.why}"${note}\n`);
    }
    return [`approved ${src.commit.slice(0, 12)}`];
  });
}
