/** `slipway production promote --from qa [-m why] [--plan] [deploy options]`: deploy exactly the commit qa runs. */
import { applyDeploy, previewDeploy } from "../../apply/deploy.js";
import { ExecutorPool } from "../../apply/context.js";
import { gatherStates } from "../../apply/gather.js";
import { loadConfig } from "../../config/load.js";
import { resolveEnvironment } from "../../config/resolve.js";
import { OperationError, UsageError } from "../../errors.js";
import { formatPlan, planData } from "../../plan/format.js";
import { promotionSource, type PromotionSource } from "../../plan/promote.js";
import { checkedBatchSize, commaList, parseDuration, parsePositiveInt } from "../duration.js";
import type { Globals } from "../registry.js";
import { executorFactory } from "../../exec/factory.js";
import { configPath, openSession, parseVerb, runOperation, verbCommand } from "../session.js";

interface Opts {
  from?: string;
  plan?: boolean;
  message?: string;
  lockWait: string;
  limit?: string;
  parallel: string;
  allowPartial?: boolean;
  batchSize?: string;
  batchWait: string;
  force?: boolean;
  downtime?: boolean;
  override?: string[];
}

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    "promote",
    "Deploy to this environment exactly the commit another one runs (its current release on every host, read from the release manifests), never a branch head; the chain is recorded in the history.",
    "slipway production promote --from qa -m 'QA signed off'",
  )
    .option("--from <env>", "the environment whose running commit is promoted (e.g. qa)")
    .option("--plan", "print the deploy plan for that commit and change nothing")
    .option("-m, --message <reason>", "why: recorded in the lock and history with the chain")
    .option("--lock-wait <duration>", "wait this long for the environment lock (e.g. 5m)", "0")
    .option("--limit <hosts>", "only these hosts, roles or globs (comma-separated)")
    .option("--parallel <n>", "hosts worked on at once", "64")
    .option("--allow-partial", "continue on the healthy hosts when some fail")
    .option("--batch-size <n|n%>", "restart in rolling batches of this many hosts (or percent)")
    .option("--batch-wait <duration>", "pause between restart batches", "0")
    .option("--force", "deploy even if the drift guard finds this config checkout older than what the hosts received")
    .option("--downtime", "a deploy that needs downtime brings the maintenance page up before migrate and down after the checks")
    .option("--override <gates>", "pass these failing gates (comma-separated, or all); needs -m, recorded", commaList);
  const parsed = parseVerb<Opts>(cmd, args, globals);
  if (!parsed) return 0;
  const { opts } = parsed;
  if (!opts.from) throw new UsageError(`promote: --from <env> is required (e.g. slipway ${globals.env ?? "production"} promote --from qa)`);
  if (opts.from === globals.env) throw new UsageError(`promote: --from ${opts.from} is the environment being deployed; name the one to promote from`);
  if (opts.override?.length && !opts.message) throw new UsageError('--override needs -m "why": the reason is recorded with the release');
  checkedBatchSize(opts.batchSize);
  const fromEnv = resolveEnvironment(loadConfig(configPath(opts)), opts.from);
  const s = await openSession(opts, {
    verb: opts.plan ? "plan" : "promote",
    limit: opts.limit,
    parallel: parsePositiveInt(opts.parallel, "--parallel"),
    record: !opts.plan,
    quiet: opts.plan,
  });
  const fromCtx = { ...s.ctx, env: fromEnv, pool: new ExecutorPool(executorFactory(fromEnv)) };
  return runOperation(s, async () => {
    let src: PromotionSource;
    try {
      const found = promotionSource(fromEnv.name, fromEnv.primary.name, await gatherStates(fromCtx, fromCtx.pool, fromEnv.hosts));
      if ("refuse" in found) throw new OperationError(`promote refused: ${found.refuse}`);
      src = found;
    } finally {
      await fromCtx.pool.closeAll();
    }
    if (s.env.source.type !== "git") throw new OperationError(`promote refused: ${s.env.name} deploys from a directory, not a git repository`);
    s.bus.info(`${src.env} runs ${src.release}: commit ${src.commit} (ref ${src.ref}, deployed by ${src.deployedBy} at ${src.createdAt})`);
    const chain = `promoted from ${src.env} ${src.release} (${src.commit.slice(0, 12)})`;
    const common = {
      // The commit itself, never the ref it came from: that branch may have moved on since.
      ref: src.commit,
      lockWaitMs: parseDuration(opts.lockWait, "--lock-wait"),
      batchSize: opts.batchSize,
      batchWaitMs: parseDuration(opts.batchWait, "--batch-wait"),
      downtime: opts.downtime,
      overrides: opts.override,
    };
    if (opts.plan) {
      const plan = await previewDeploy(s.ctx, s.hosts, { ...common, reason: opts.message });
      if (opts.json) s.out.data({ ...planData(plan), promotedFrom: src });
      else s.out.text(`${chain}\n${formatPlan(plan)}`);
      return [];
    }
    const r = await applyDeploy(s.ctx, s.hosts, {
      ...common,
      reason: opts.message ? `${chain}: ${opts.message}` : chain,
      allowPartial: opts.allowPartial,
      force: opts.force,
      promotedFrom: { env: src.env, release: src.release, commit: src.commit },
    });
    return [
      `promoted ${src.env}'s ${src.commit.slice(0, 12)} as ${r.releaseId} to ${s.env.name}${r.partial ? " — PARTIAL: see the failed hosts below" : ""}`,
      ...r.summary,
    ];
  });
}
