/** `slipway qa db clone --from production [--backup ID] [--unscrubbed] [--db NAME] [--key PEM] [--plan] [--yes]` */
import { applyClone, prepareClone, type CloneOptions, type CloneSource } from "../../../apply/clone.js";
import { ExecutorPool } from "../../../apply/context.js";
import { loadConfig } from "../../../config/load.js";
import { resolveEnvironment, type Database, type Environment } from "../../../config/resolve.js";
import { UsageError } from "../../../errors.js";
import { formatClonePlan } from "../../../plan/clone.js";
import { parseDuration } from "../../duration.js";
import type { Globals } from "../../registry.js";
import { executorFactory } from "../../../exec/factory.js";
import { configPath, openSession, parseVerb, runOperation, verbCommand } from "../../session.js";
import { readPrivateKey } from "./key.js";
import { pickDatabase } from "./pick.js";

interface Opts {
  from?: string;
  backup?: string;
  unscrubbed?: boolean;
  db?: string;
  key?: string;
  plan?: boolean;
  yes?: boolean;
  lockWait: string;
}

/** The source's database: the same key as the target's, or the source's only one. */
function sourceDatabase(source: Environment, target: Database, explicit: boolean): Database {
  const same = source.databases.find((d) => d.key === target.key);
  if (same) return same;
  if (explicit || source.databases.length !== 1) return pickDatabase(source, target.key);
  return source.databases[0]!;
}

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    "db clone",
    "Replace this environment's database with another environment's latest backup, scrub it, check it; services stay stopped until the checks pass.",
    "slipway qa db clone --from production --yes",
  )
    .option("--from <env>", "the environment whose backup is restored here (required)")
    .option("--backup <id>", "that backup instead of the newest (slipway <from> db backups)")
    .option("--unscrubbed", "allow a clone without scrub rules (warned about and recorded in the history)")
    .option("--db <name>", "the database, when the environment has more than one")
    .option("--key <file>", "private key (PEM) for an encrypted backup")
    .option("--plan", "only print the steps; change nothing")
    .option("--yes", "really replace this environment's database")
    .option("--lock-wait <duration>", "wait this long for the environment lock", "0");
  const parsed = parseVerb<Opts>(cmd, args, globals);
  if (!parsed) return 0;
  const { opts } = parsed;
  if (!opts.from) throw new UsageError("db clone: --from <env> is required (e.g. slipway qa db clone --from production)");
  const loaded = loadConfig(configPath(opts));
  const sourceEnv = resolveEnvironment(loaded, opts.from);
  const key = readPrivateKey(opts.key);
  const unscrubbed = Boolean(opts.unscrubbed);
  const s = await openSession(opts, {
    verb: opts.plan ? "plan" : `db clone${unscrubbed ? " --unscrubbed" : ""}`,
    // Only a real clone is a run (log file, store row); the plan and the --yes refusal change nothing.
    record: Boolean(opts.yes && !opts.plan),
    quiet: !opts.yes || Boolean(opts.plan),
    // The source's secrets (its database password) are this run's secrets too.
    redact: [...Object.values(sourceEnv.secrets), ...sourceEnv.redact, ...(key ? [key] : [])],
  });
  const targetDb = pickDatabase(s.env, opts.db);
  const source: CloneSource = {
    ctx: { ...s.ctx, env: sourceEnv, pool: new ExecutorPool(executorFactory(sourceEnv)) },
    db: sourceDatabase(sourceEnv, targetDb, opts.db !== undefined),
  };
  const o: CloneOptions = { backupId: opts.backup, unscrubbed, key, lockWaitMs: parseDuration(opts.lockWait, "--lock-wait") };
  return runOperation(s, async () => {
    try {
      if (opts.plan || !opts.yes) {
        const { plan } = await prepareClone(s.ctx, source, targetDb, o);
        if (opts.json) s.out.data(plan);
        else s.out.text(formatClonePlan(plan));
        if (opts.plan) return [];
        throw new UsageError(`db clone replaces ${targetDb.name} on ${plan.target.server} (${s.env.name} ${targetDb.key}): pass --yes to go ahead`);
      }
      const r = await applyClone(s.ctx, source, targetDb, o);
      return r.summary;
    } finally {
      await source.ctx.pool.closeAll();
    }
  });
}
