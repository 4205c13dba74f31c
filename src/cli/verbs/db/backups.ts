/** `slipway <env> db backups [--db NAME] [--json]`: the database's backups, oldest first. */
import { listBackups, type BackupMeta, type IncompleteBackup } from "../../../apply/db-backup.js";
import { table } from "../../../render/table.js";
import type { Globals } from "../../registry.js";
import { openSession, parseVerb, runOperation, verbCommand } from "../../session.js";
import { pickDatabase } from "./pick.js";

/** Human size: bytes below 1 KiB, then KiB/MiB/GiB with one decimal. */
export function size(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

export function backupRows(backups: BackupMeta[], incomplete: IncompleteBackup[]): string[][] {
  const rows = backups.map((b) => [
    b.id,
    size(b.size),
    b.createdAt.replace("T", " ").replace(/\.\d+Z$/, "Z"),
    b.by,
    b.release ?? "-",
    b.reason,
    `${b.sha256.slice(0, 12)}${b.encrypted ? " (enc)" : ""}`,
    b.note ?? "",
  ]);
  for (const i of incomplete) rows.push([i.id, size(i.size), "-", "-", "-", "INCOMPLETE", "-", "no metadata: a failed, interrupted or running dump"]);
  return rows.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    "db backups",
    "List the database's backups on its host: id, size, when, who, release, reason, checksum, note.",
    "slipway production db backups",
  ).option("--db <name>", "which database (when the environment has several)");
  const parsed = parseVerb<{ db?: string }>(cmd, args, globals);
  if (!parsed) return 0;
  const { opts } = parsed;
  const s = await openSession(opts, { verb: "db backups", record: false, quiet: true });
  const db = pickDatabase(s.env, opts.db);
  return runOperation(s, async () => {
    const { backups, incomplete, warnings } = await listBackups(s.ctx, db);
    for (const w of warnings) s.bus.warn(w, db.host.name);
    if (opts.json) s.out.data(backups);
    else if (!backups.length && !incomplete.length) s.out.text(`no backups of ${db.key} in ${db.backups.dir} on ${db.host.name}\n`);
    else s.out.text(table(["ID", "SIZE", "WHEN", "BY", "RELEASE", "REASON", "SHA256", "NOTE"], backupRows(backups, incomplete)));
    return [];
  });
}
