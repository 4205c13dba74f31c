/** `slipway <env> deploy [--plan] [--ref R] [--lock-wait 5m] [-m reason] [--limit H]` */
import { planData } from "../../plan/format.js";
import { applyDeploy, previewDeploy } from "../../apply/deploy.js";
import { pendingFromPrimary } from "../../apply/pending.js";
import { formatPending } from "../../plan/pending.js";
import { formatPlan } from "../../plan/format.js";
import { checkedBatchSize, commaList, parseDuration, parsePositiveInt } from "../duration.js";
import type { Globals } from "../registry.js";
import { UsageError } from "../../errors.js";
import { componentNames, resolveEnvironment } from "../../config/resolve.js";
import { selectHosts } from "../../config/filter.js";
import { openSession, parseVerb, runOperation, verbCommand } from "../session.js";

interface Opts {
  plan?: boolean;
  ref?: string;
  lockWait: string;
  message?: string;
  limit?: string;
  parallel: string;
  allowPartial?: boolean;
  batchSize?: string;
  batchWait: string;
  resume?: boolean;
  hotfix?: boolean;
  all?: boolean;
  force?: boolean;
  downtime?: boolean;
  override?: string[];
  wait: boolean;
}

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    "deploy",
    "Build a new release on every host, then switch all hosts to it together.",
    "slipway production deploy --ref v1.4.2 -m 'weekly release'   # or: deploy formplayer, deploy --all",
  )
    .argument("[component]", "a component from `components:` (default: the app itself)")
    .option("--all", "deploy the app, then every component, in the order written; stop at the first failure")
    .option("--plan", "print hosts × phases × commands and change nothing")
    .option("--ref <ref>", "branch, tag or commit to deploy (default: the config's ref)")
    .option("--lock-wait <duration>", "wait this long for the environment lock (e.g. 5m)", "0")
    .option("-m, --message <reason>", "why: recorded in the lock and history")
    .option("--limit <hosts>", "only these hosts, roles or globs (comma-separated)")
    .option("--parallel <n>", "hosts worked on at once", "64")
    .option("--allow-partial", "continue on the healthy hosts when some fail (default: all or nothing)")
    .option("--batch-size <n|n%>", "restart in rolling batches of this many hosts (or percent)")
    .option("--batch-wait <duration>", "pause between restart batches", "0")
    .option("--resume", "continue the interrupted deploy of this environment: same release and commit, done steps skipped")
    .option("--hotfix", "ship only the code: no dependency install, build, migrations or cleanup")
    .option("--force", "deploy even if the drift guard finds this config checkout older than what the hosts received")
    .option("--override <gates>", "pass these failing gates (comma-separated, or all); needs -m, recorded with who and why", commaList)
    .option("--downtime", "a deploy that needs downtime brings the maintenance page up before migrate and down after the health checks")
    .option("--no-wait", "with verify.window: return at the switch; a detached watcher on each host runs the checks (and reverts) and holds the lock");
  const parsed = parseVerb<Opts>(cmd, args, globals);
  if (!parsed) return 0;
  const { opts } = parsed;
  const component = parsed.args[0] ?? null;
  if (opts.all && component) throw new UsageError("use a component name or --all, not both");
  const s = await openSession(opts, {
    component,
    verb: opts.plan ? "plan" : "deploy",
    limit: opts.limit,
    parallel: parsePositiveInt(opts.parallel, "--parallel"),
    record: !opts.plan,
    quiet: opts.plan,
  });
  const lockWaitMs = parseDuration(opts.lockWait, "--lock-wait");
  if (opts.plan) {
    return runOperation(s, async () => {
      const plan = await previewDeploy(s.ctx, s.hosts, {
        ref: opts.ref,
        lockWaitMs,
        batchSize: checkedBatchSize(opts.batchSize),
        batchWaitMs: parseDuration(opts.batchWait, "--batch-wait"),
        downtime: opts.downtime,
        overrides: opts.override,
        reason: opts.message,
      });
      // What the plan would bring, from the commit it resolved (no second resolve of the ref).
      const pending = await pendingFromPrimary(s.ctx, opts.ref, { commit: plan.commit, ref: plan.ref });
      // The plan's scripts carry `env` with secret values: printed only through the redactor.
      if (opts.json) s.out.data({ ...planData(plan), pending });
      else s.out.text(`${formatPending(pending)}\n${formatPlan(plan)}`);
      return [];
    });
  }
  return runOperation(s, async () => {
    const targets = opts.all ? [null, ...componentNames(s.loaded.raw)] : [component];
    const lines: string[] = [];
    for (const target of targets) {
      const env = target === component ? s.env : resolveEnvironment(s.loaded, s.env.name, undefined, target);
      const hosts = target === component ? s.hosts : selectHosts(env.hosts, opts.limit);
      if (targets.length > 1) s.bus.info(`deploying ${target ?? `${env.app} (the app)`}`);
      lines.push(...(await deployOne({ ...s.ctx, env }, hosts, target)));
    }
    return lines;
  });

  async function deployOne(ctx: typeof s.ctx, hosts: typeof s.hosts, target: string | null): Promise<string[]> {
    checkedBatchSize(opts.batchSize);
    const r = await applyDeploy(ctx, hosts, {
      ref: opts.ref,
      lockWaitMs,
      reason: opts.message,
      allowPartial: opts.allowPartial,
      batchSize: opts.batchSize,
      batchWaitMs: parseDuration(opts.batchWait, "--batch-wait"),
      resume: opts.resume,
      hotfix: opts.hotfix,
      force: opts.force,
      downtime: opts.downtime,
      overrides: opts.override,
      noWait: opts.wait === false,
    });
    const ok = hosts.length - (r.partial ? r.summary.filter((l) => /: (FAILED|UNREACHABLE) /.test(l)).length : 0);
    const what = target ? `${target} ` : "";
    return [
      `deployed ${what}${r.releaseId} (${r.commit.slice(0, 12)}) to ${ok} of ${hosts.length} host(s)${r.partial ? " — PARTIAL: see the failed hosts below" : ""}`,
      ...r.summary,
    ];
  }
}
