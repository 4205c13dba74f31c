/** `slipway <env> cleanup` — keep keep_releases good releases, current and the rollback target; remove the rest. */
import { gatherStates } from "../../apply/gather.js";
import { withLock } from "../../apply/lock.js";
import { runHostsStage } from "../../apply/ops.js";
import { planCleanup, type CleanupPlan } from "../../plan/cleanup.js";
import { parseDuration } from "../duration.js";
import type { Globals } from "../registry.js";
import { openSession, parseVerb, runOperation, verbCommand } from "../session.js";

/** `cleanup` trims to keep_releases; `clean-releases` only removes failed and expired private releases. */
export function cleanupVerb(name: CleanupPlan["verb"]) {
  return (args: string[], globals: Globals) => runCleanup(name, args, globals);
}

export const run = cleanupVerb("cleanup");

async function runCleanup(name: CleanupPlan["verb"], args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    name,
    name === "cleanup"
      ? "Remove failed, bad, expired private and surplus releases (never current or the rollback target)."
      : "Remove failed releases and expired private ones; print what was removed.",
    `slipway production ${name} --plan`,
  )
    .argument("[component]", "a component (default: the app)")
    .option("--plan", "only print what would be removed (with --json: the plan as data)")
    .option("--limit <hosts>", "only these hosts, roles or globs")
    .option("--lock-wait <duration>", "wait this long for the environment lock", "0");
  const parsed = parseVerb<{ plan?: boolean; limit?: string; lockWait: string }>(cmd, args, globals);
  if (!parsed) return 0;
  const { opts } = parsed;
  const asData = Boolean(opts.plan && opts.json);
  const s = await openSession(opts, { verb: name, limit: opts.limit, record: !opts.plan, quiet: asData, component: parsed.args[0] ?? null });
  const plan = async () => planCleanup(s.env, s.hosts, await gatherStates(s.ctx, s.ctx.pool, s.hosts), name);
  return runOperation(s, async () => {
    if (opts.plan) {
      const p = await plan();
      // The plan goes to stdout as data; the text plan stays the summary it always was.
      if (!asData) return lines(p, "would remove");
      s.out.data(p);
      return [];
    }
    return await withLock(s.ctx, s.ctx.pool, name, "", parseDuration(opts.lockWait, "--lock-wait"), async () => {
      const p = await plan();
      for (const stage of p.stages) if (stage.kind === "hosts") await runHostsStage(s.ctx, s.ctx.pool, s.hosts, stage);
      return lines(p, "removed");
    });
  });
}

const lines = (p: CleanupPlan, verb: string) =>
  p.hosts.map((h) => `${h}: ${p.removals[h]!.length ? `${verb} ${p.removals[h]!.join(", ")}` : "nothing to remove"}`);
