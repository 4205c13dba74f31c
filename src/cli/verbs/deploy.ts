/** `slipway <env> deploy [--plan] [--ref R] [--lock-wait 5m] [-m reason] [--limit H]` */
import { applyDeploy, previewDeploy } from "../../apply/deploy.js";
import { formatPlan } from "../../plan/format.js";
import { parseDuration, parsePositiveInt } from "../duration.js";
import type { Globals } from "../registry.js";
import { openSession, parseVerb, runOperation, verbCommand } from "../session.js";

interface Opts {
  plan?: boolean;
  ref?: string;
  lockWait: string;
  message?: string;
  limit?: string;
  parallel: string;
}

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand("deploy", "Build a new release on every host, then switch all hosts to it together.", "slipway production deploy --ref v1.4.2 -m 'weekly release'")
    .option("--plan", "print hosts × phases × commands and change nothing")
    .option("--ref <ref>", "branch, tag or commit to deploy (default: the config's ref)")
    .option("--lock-wait <duration>", "wait this long for the environment lock (e.g. 5m)", "0")
    .option("-m, --message <reason>", "why: recorded in the lock and history")
    .option("--limit <hosts>", "only these hosts, roles or globs (comma-separated)")
    .option("--parallel <n>", "hosts worked on at once", "16");
  const parsed = parseVerb<Opts>(cmd, args, globals);
  if (!parsed) return 0;
  const { opts } = parsed;
  const s = await openSession(opts, { verb: opts.plan ? "plan" : "deploy", limit: opts.limit, parallel: parsePositiveInt(opts.parallel, "--parallel"), record: !opts.plan, quiet: opts.plan });
  const lockWaitMs = parseDuration(opts.lockWait, "--lock-wait");
  if (opts.plan) {
    return runOperation(s, async () => {
      const plan = await previewDeploy(s.ctx, s.hosts, { ref: opts.ref, lockWaitMs });
      process.stdout.write(opts.json ? JSON.stringify(plan) + "\n" : formatPlan(plan));
      return [];
    });
  }
  return runOperation(s, async () => {
    const r = await applyDeploy(s.ctx, s.hosts, { ref: opts.ref, lockWaitMs, reason: opts.message });
    return [`deployed ${r.releaseId} (${r.commit.slice(0, 12)}) to ${s.hosts.length} host(s)`, ...r.summary];
  });
}
