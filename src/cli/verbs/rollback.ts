/** `slipway <env> rollback [<release-id>]` */
import { planData } from "../../plan/format.js";
import { applyRollback, previewRollback } from "../../apply/rollback.js";
import { formatRollbackPlan } from "../../plan/format.js";
import { parseDuration } from "../duration.js";
import type { Globals } from "../registry.js";
import { openSession, parseVerb, runOperation, verbCommand } from "../session.js";

interface Opts {
  lockWait: string;
  message?: string;
  limit?: string;
  plan?: boolean;
  force?: boolean;
  restoreDb?: boolean;
  yes?: boolean;
}

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    "rollback",
    "Switch every host back to the previous good release (or the named one) and mark the current one bad.",
    "slipway production rollback            # or: slipway production rollback 20261122-050403-abc1234",
  )
    .argument("[component]", "a component from `components:` (default: the app)")
    .argument("[release]", "release id to return to (default: the previous good release)")
    .option("--plan", "only print what the rollback would do (target, commands per host, recovery); change nothing")
    .option("--lock-wait <duration>", "wait this long for the environment lock", "0")
    .option("-m, --message <reason>", "why: recorded in the lock and history")
    .option("--limit <hosts>", "only these hosts, roles or globs (the others keep their current release)")
    .option("--force", "roll back the code even though the target was deployed with another database schema")
    .option("--restore-db", "also restore the backup taken before the migrations that ran since the target, under downtime")
    .option("--yes", "with --restore-db: confirm replacing the database (the data written since is shown first)");
  const parsed = parseVerb<Opts>(cmd, args, globals);
  if (!parsed) return 0;
  const { opts } = parsed;
  // `rollback <release>`, `rollback <component>`, `rollback <component> <release>`: release ids start with a digit.
  const pos = parsed.args.filter(Boolean);
  const component = pos[0] && !/^\d/.test(pos[0]) ? pos.shift()! : null;
  const s = await openSession(opts, { verb: opts.plan ? "plan" : "rollback", limit: opts.limit, record: !opts.plan, quiet: opts.plan, component });
  if (opts.plan) {
    return runOperation(s, async () => {
      const plan = await previewRollback(s.ctx, s.hosts, { target: pos[0], force: opts.force, restoreDb: opts.restoreDb });
      // The plan's scripts carry `env` with secret values: printed only through the redactor.
      if (opts.json) s.out.data(planData(plan));
      else s.out.text(formatRollbackPlan(plan) + (plan.db?.text ? `\ndatabases:\n${plan.db.text}\n` : ""));
      return [];
    });
  }
  return runOperation(s, async () => {
    const r = await applyRollback(s.ctx, s.hosts, {
      target: pos[0],
      lockWaitMs: parseDuration(opts.lockWait, "--lock-wait"),
      reason: opts.message,
      force: opts.force,
      restoreDb: opts.restoreDb,
      yes: opts.yes,
    });
    return [`rolled back to ${r.releaseId} (${r.commit.slice(0, 12)})`, ...r.summary];
  });
}
