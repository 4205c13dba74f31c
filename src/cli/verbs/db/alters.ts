/**
 * `slipway <env> db alters status|apply [--ref R] [--db NAME]`: the tracked SQL files of the source
 * at the ref against the database's schema history table; `apply` runs the pending ones under the
 * environment lock.
 */
import { altersStatus, applyAlters } from "../../../apply/alters.js";
import { withLock } from "../../../apply/lock.js";
import { resolveSource } from "../../../apply/source.js";
import { OperationError, UsageError } from "../../../errors.js";
import { type AltersStatus, changedMessage, classifyAlters, formatAlters, formatApplied, splitStatements } from "../../../plan/alters.js";
import { parseDuration } from "../../duration.js";
import type { Globals } from "../../registry.js";
import { openSession, parseVerb, runOperation, verbCommand } from "../../session.js";
import { pickDatabase } from "./pick.js";

interface Opts {
  ref?: string;
  db?: string;
  lockWait: string;
}

/** What `status --json` prints: the files without their SQL, plus the downtime classification. */
function statusJson(st: AltersStatus, commit: string, classification: ReturnType<typeof classifyAlters>) {
  const brief = (f: AltersStatus["files"][number]) => ({ name: f.name, checksum: f.checksum, statements: splitStatements(f.sql, st.engine).length });
  return {
    db: st.db,
    engine: st.engine,
    commit,
    pending: st.pending.map(brief),
    applied: st.applied,
    changed: st.changed.map((c) => ({ name: c.name, applied: c.applied, now: c.now })),
    partial: st.partial,
    missing: st.missing,
    warnings: st.warnings,
    errors: st.errors,
    classification,
  };
}

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    "db alters",
    "Tracked SQL alters: `status` lists pending, applied (who, when, how long), changed and half-applied files of databases.<db>.alters.dir at the ref, and whether they need downtime (exit 1 if an applied file changed); `apply` runs the pending ones under the environment lock.",
    "slipway production db alters status --ref v1.5.0   # or: db alters apply --db main",
  )
    .argument("<action>", "status | apply")
    .option("--ref <ref>", "branch, tag or commit whose alter files count (default: the config's ref)")
    .option("--db <name>", "which database (needed when the environment has several)")
    .option("--lock-wait <duration>", "apply: wait this long for the environment lock (e.g. 5m)", "0");
  const parsed = parseVerb<Opts>(cmd, args, globals);
  if (!parsed) return 0;
  const action = parsed.args[0]!;
  if (action !== "status" && action !== "apply") throw new UsageError(`db alters: unknown action ${JSON.stringify(action)}; expected status or apply`);
  const opts = parsed.opts;
  const lockWaitMs = parseDuration(opts.lockWait, "--lock-wait");
  const apply = action === "apply";
  const s = await openSession(opts, { verb: `db alters ${action}`, record: apply, quiet: !apply });
  return runOperation(s, async () => {
    const db = pickDatabase(s.env, opts.db);
    if (!db.alters) throw new UsageError(`database ${db.key} has no alters (set environments.${s.env.name}.databases.${db.key}.alters.dir)`);
    const { commit } = await resolveSource(s.env.source, opts.ref);
    if (!apply) {
      const st = await altersStatus(s.ctx, db, commit);
      const classification = classifyAlters(db, st.pending);
      if (opts.json) s.out.data(statusJson(st, commit, classification));
      else {
        const downtime = classification.needsDowntime
          ? `downtime: needed\n${classification.reasons.map((r) => `  ${r}`).join("\n")}\n`
          : st.pending.length
            ? "downtime: not needed\n"
            : "";
        s.out.text(formatApplied(st.applied) + formatAlters(st) + downtime);
      }
      const bad = [...st.changed.map(changedMessage), ...st.errors];
      if (bad.length) throw new OperationError(bad.join("\n"));
      return [];
    }
    const result = await withLock(s.ctx, s.ctx.pool, "db alters", `apply alters of ${db.key}`, lockWaitMs, async () => {
      const st = await altersStatus(s.ctx, db, commit);
      if (!st.pending.length && !st.changed.length && !st.errors.length) return { applied: [] as string[] };
      return applyAlters(s.ctx, db, st, {});
    });
    const summary = result.applied.length
      ? `applied ${result.applied.length} alter(s) to ${db.key}: ${result.applied.join(", ")}`
      : `${db.key}: no pending alters`;
    if (opts.json) s.out.data({ db: db.key, commit, applied: result.applied });
    else s.out.text(`${summary}\n`);
    return [summary];
  });
}
