/** `slipway qa cut --from main [--ref C] [--plan]`: point the staging branch at a stable commit (create or fast-forward) and push it. */
import { applyCut } from "../../apply/cut.js";
import { UsageError } from "../../errors.js";
import type { Globals } from "../registry.js";
import { openSession, parseVerb, runOperation, verbCommand } from "../session.js";

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    "cut",
    "Point the environment's staging_branch at a commit of the source repository (the head of --from, or --ref on it) and push it: the branch is created, or fast-forwarded only; a move that would rewrite its history is refused.",
    "slipway qa cut --from main --ref 3f9c2ab",
  )
    .option("--from <branch>", "the branch the stable commit comes from (e.g. main)")
    .option("--ref <commit>", "this commit of --from instead of its head")
    .option("--plan", "say what would happen and push nothing");
  const parsed = parseVerb<{ from?: string; ref?: string; plan?: boolean }>(cmd, args, globals);
  if (!parsed) return 0;
  const { opts } = parsed;
  if (!opts.from) throw new UsageError(`cut: --from <branch> is required (e.g. slipway ${globals.env ?? "qa"} cut --from main)`);
  const s = await openSession(opts, { verb: "cut", record: !opts.plan, quiet: true });
  return runOperation(s, async () => {
    const r = await applyCut(s.ctx, { from: opts.from!, ref: opts.ref, plan: opts.plan });
    const was = r.old ? r.old.slice(0, 12) : "absent";
    const what =
      r.action === "up-to-date"
        ? `${r.branch} is already at ${r.commit.slice(0, 12)}`
        : `${opts.plan ? "would " : ""}${r.action === "create" ? "create" : "fast-forward"} ${r.branch}: ${was} → ${r.commit.slice(0, 12)} (from ${r.from})${opts.plan ? "" : ", pushed"}`;
    if (opts.json) s.out.data(r);
    else s.out.text(`${what}\n`);
    return [what];
  });
}
