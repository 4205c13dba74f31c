/** `slipway <env> db verify <id> [--key FILE]`: restore into a scratch database and compare with the backup's metadata. */
import { verifyBackup, type VerifyReport } from "../../../apply/db-backup.js";
import { table } from "../../../render/table.js";
import type { Globals } from "../../registry.js";
import { openSession, parseVerb, runOperation, verbCommand } from "../../session.js";
import { readPrivateKey } from "./key.js";
import { pickDatabase } from "./pick.js";

export function formatVerify(r: VerifyReport): string {
  const head = `backup ${r.id}: file sha256 ${r.sha256.ok ? "ok" : `MISMATCH (expected ${r.sha256.expected}, file has ${r.sha256.actual ?? "?"})`}\n`;
  const rows = r.tables.map((t) => [
    t.table,
    String(t.expectedRows ?? "-"),
    String(t.actualRows ?? "-"),
    t.sameChecksum ? "same" : "DIFFERENT",
    t.ok ? "ok" : "FAIL",
  ]);
  const body = rows.length ? table(["TABLE", "ROWS (BACKUP)", "ROWS (RESTORED)", "CHECKSUM", "RESULT"], rows) : "";
  const problems = r.problems.map((p) => `problem: ${p}\n`).join("");
  return `${head}${body}${problems}${r.ok ? "verified: the restore matches the backup\n" : "VERIFY FAILED\n"}`;
}

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    "db verify",
    "Check a backup's sha256, restore it into a scratch database, compare every table's row count and checksum with its metadata, drop the scratch database. Exit 1 on any difference.",
    "slipway production db verify 20261202-141500-3f9a",
  )
    .argument("<id>", "backup id (see db backups)")
    .option("--db <name>", "which database (when the environment has several)")
    .option("--key <file>", "private key (PEM) for an encrypted backup");
  const parsed = parseVerb<{ db?: string; key?: string }>(cmd, args, globals);
  if (!parsed) return 0;
  const { opts } = parsed;
  const key = readPrivateKey(opts.key);
  const s = await openSession(opts, { verb: "db verify", record: true, quiet: true, redact: key ? [key] : [] });
  const db = pickDatabase(s.env, opts.db);
  let failed = false;
  const code = await runOperation(s, async () => {
    const r = await verifyBackup(s.ctx, db, parsed.args[0]!, { key });
    if (opts.json) s.out.data(r);
    else s.out.text(formatVerify(r));
    failed = !r.ok;
    if (failed) s.bus.warn(`backup ${r.id} failed verification`);
    return [];
  });
  return failed ? 1 : code;
}
