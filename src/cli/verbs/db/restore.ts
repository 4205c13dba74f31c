/** `slipway <env> db restore <id> [--into NAME [--replace]] [--key FILE] --yes`: restore a backup, under the environment lock. */
import { describeBackup, restoreBackup } from "../../../apply/db-backup.js";
import { withLock } from "../../../apply/lock.js";
import { parseDuration } from "../../duration.js";
import type { Globals } from "../../registry.js";
import { openSession, parseVerb, runOperation, verbCommand } from "../../session.js";
import { readPrivateKey } from "./key.js";
import { pickDatabase } from "./pick.js";

interface Opts {
  db?: string;
  into?: string;
  key?: string;
  replace?: boolean;
  yes?: boolean;
  lockWait: string;
}

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    "db restore",
    "Restore a backup on the database host: over the live database (a before-restore backup is taken first) or --into a new one. Needs --yes.",
    "slipway production db restore 20261202-141500-3f9a --into appdb_check --yes",
  )
    .argument("<id>", "backup id (see db backups)")
    .option("--db <name>", "which database (when the environment has several)")
    .option("--into <name>", "restore into this database instead (created; must not exist unless --replace)")
    .option("--replace", "with --into: replace that database if it exists")
    .option("--key <file>", "private key (PEM) for an encrypted backup")
    .option("--yes", "really replace the database's contents")
    .option("--lock-wait <duration>", "wait this long for the environment lock", "0");
  const parsed = parseVerb<Opts>(cmd, args, globals);
  if (!parsed) return 0;
  const { opts } = parsed;
  const id = parsed.args[0]!;
  const key = readPrivateKey(opts.key);
  const s = await openSession(opts, { verb: "db restore", record: Boolean(opts.yes), quiet: !opts.yes, redact: key ? [key] : [] });
  const db = pickDatabase(s.env, opts.db);
  const target = opts.into ?? db.name;
  let refused = false;
  const code = await runOperation(s, async () => {
    if (!opts.yes) {
      const m = await describeBackup(s.ctx, db, id);
      s.out.text(
        `would ${target === db.name ? "REPLACE the live" : opts.replace ? "create or replace" : "create"} ${db.engine} database ${target} on ${db.server.host}:${db.server.port} (via ${db.host.name})\n` +
          `with backup ${m.id}: created ${m.createdAt} by ${m.by}, release ${m.release ?? "unknown"}, reason ${m.reason}${m.note ? `, note "${m.note}"` : ""}\n` +
          `${target === db.name ? "a before-restore backup is taken first\n" : ""}not restored: pass --yes\n`,
      );
      refused = true;
      return [];
    }
    return await withLock(s.ctx, s.ctx.pool, "db restore", `restore ${id} into ${target}`, parseDuration(opts.lockWait, "--lock-wait"), async () => {
      await restoreBackup(s.ctx, db, id, { into: opts.into, key, replace: opts.replace });
      return [`restored backup ${id} into ${target} on ${db.host.name}`];
    });
  });
  return refused ? 1 : code;
}
