/** `slipway <env> pending [component] [--ref R]`: the commits a deploy would bring, and the files they change. */
import { pendingFromPrimary } from "../../apply/pending.js";
import { formatPending } from "../../plan/pending.js";
import type { Globals } from "../registry.js";
import { openSession, parseVerb, runOperation, verbCommand } from "../session.js";

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    "pending",
    "The commits between what runs (the primary's current release) and what a deploy would ship (the ref), with authors, dates and the files changed; read with git on this machine.",
    "slipway production pending --ref v1.5.0",
  )
    .argument("[component]", "a component (default: the app)")
    .option("--ref <ref>", "branch, tag or commit a deploy would ship (default: the config's ref)");
  const parsed = parseVerb<{ ref?: string }>(cmd, args, globals);
  if (!parsed) return 0;
  const s = await openSession(parsed.opts, { verb: "pending", record: false, quiet: true, component: parsed.args[0] ?? null });
  return runOperation(s, async () => {
    const pending = await pendingFromPrimary(s.ctx, parsed.opts.ref);
    if (parsed.opts.json) s.out.data(pending);
    else s.out.text(formatPending(pending));
    return [];
  });
}
