/** `slipway <env> db backup [-m note] [--db NAME] [--release ID]`: a consistent, compressed, checksummed dump on the database host. */
import { takeBackup } from "../../../apply/db-backup.js";
import type { Globals } from "../../registry.js";
import { openSession, parseVerb, runOperation, verbCommand } from "../../session.js";
import { pickDatabase } from "./pick.js";

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    "db backup",
    "Dump the database on its host (pg_dump / mysqldump --single-transaction), gzip it (encrypted with backups.encrypt_to), record per-table row counts and checksums, then apply retention.",
    'slipway production db backup -m "before the data fix"',
  )
    .option("-m, --message <note>", "a note stored with the backup")
    .option("--db <name>", "which database (when the environment has several)")
    .option("--release <id>", "record this release instead of the primary's current one");
  const parsed = parseVerb<{ message?: string; db?: string; release?: string }>(cmd, args, globals);
  if (!parsed) return 0;
  const { opts } = parsed;
  const s = await openSession(opts, { verb: "db backup", record: true });
  const db = pickDatabase(s.env, opts.db);
  return runOperation(s, async () => {
    const meta = await takeBackup(s.ctx, db, { note: opts.message, release: opts.release, reason: "manual" });
    if (opts.json) s.out.data(meta);
    return [`backup ${meta.id} of ${db.key} on ${db.host.name}: ${meta.size} bytes, sha256 ${meta.sha256}`];
  });
}
