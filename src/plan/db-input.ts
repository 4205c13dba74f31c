/**
 * Everything a database host sends back about backups is parsed here, strictly, before it can
 * reach a path, an `rm` or SQL: backup ids, file names, the metadata JSON and the per-table
 * statistics the dump pipeline prints. A malformed line is a warning, never fatal to a read-only verb.
 */
import { z } from "zod";
import { BACKUP_ID, isBackupId } from "../commands/db/backup.js";
import { excerpt } from "./host-input.js";

export { BACKUP_ID, isBackupId };

const SHA256 = /^[0-9a-f]{64}$/;
const text = (max = 512) => z.string().max(max);

const tableStatsSchema = z.object({ rows: z.number().int().min(0), checksum: z.string().regex(SHA256) }).strict();

const metaSchema = z
  .object({
    id: z.string().regex(BACKUP_ID, "expected a backup id like 20261202-141500-3f9a"),
    db: text(128),
    engine: z.enum(["postgres", "mysql"]),
    database: text(128),
    host: text(256),
    createdAt: z.iso.datetime(),
    by: text(),
    release: text(64).nullable(),
    reason: z.string().regex(/^[a-z][a-z-]{0,31}$/, "expected a reason like manual or before-migrate"),
    note: text(2000).nullable(),
    file: text(64),
    size: z.number().int().min(0),
    sha256: z.string().regex(SHA256),
    encrypted: z.boolean(),
    tables: z.record(text(1024), tableStatsSchema),
  })
  .strict();

/** One backup's metadata (`<id>.json` beside the dump), written only once the dump succeeded. */
export type BackupMeta = z.infer<typeof metaSchema>;
export type TableStats = z.infer<typeof tableStatsSchema>;

export function parseBackupMeta(raw: string): { ok: true; value: BackupMeta } | { ok: false; problem: string } {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { ok: false, problem: `not JSON: ${excerpt(raw)}` };
  }
  const r = metaSchema.safeParse(data);
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0]!;
  return { ok: false, problem: `${issue.path.length ? `${issue.path.join(".")}: ` : ""}${issue.message}` };
}

const FILE_NAME = /^([0-9]{8}-[0-9]{6}-[0-9a-f]{4})\.(json|sql\.gz|sql\.gz\.enc|key\.enc)$/;

/**
 * The pipeline's statistics: `T<TAB>rows<TAB>table` followed by that table's 64-hex checksum on
 * the next line, plus `FILE<TAB>size<TAB>sha256` and `W<TAB>table<TAB>engine` (non-InnoDB tables).
 * Other lines (and a table line without its checksum) are problems, reported as warnings.
 */
export interface DumpStats {
  tables: Record<string, TableStats>;
  file?: { size: number; sha256: string };
  /** `SHA<TAB>sha256` from verify: the stored file's checksum as the host computed it. */
  sha256?: string;
  nonInnodb: { table: string; engine: string }[];
  problems: string[];
}

export function parseDumpStats(lines: string[]): DumpStats {
  const out: DumpStats = { tables: {}, nonInnodb: [], problems: [] };
  let pending: { name: string; rows: number } | null = null;
  for (const line of lines) {
    if (pending) {
      if (SHA256.test(line)) {
        const prev = out.tables[pending.name];
        // A table seen twice (mysql sections split by the dump) counts once, rows summed, checksums combined.
        out.tables[pending.name] = prev ? { rows: prev.rows + pending.rows, checksum: combine(prev.checksum, line) } : { rows: pending.rows, checksum: line };
        pending = null;
        continue;
      }
      out.problems.push(`table ${excerpt(pending.name)}: no checksum line`);
      pending = null;
    }
    let m: RegExpExecArray | null;
    if ((m = /^T\t([0-9]{1,15})\t(.{1,1024})$/.exec(line))) pending = { rows: Number(m[1]), name: m[2]! };
    else if ((m = /^FILE\t([0-9]{1,15})\t([0-9a-f]{64})$/.exec(line))) out.file = { size: Number(m[1]), sha256: m[2]! };
    else if ((m = /^SHA\t([0-9a-f]{64})$/.exec(line))) out.sha256 = m[1]!;
    else if ((m = /^W\t([^\t]{1,256})\t([A-Za-z0-9_]{0,64})$/.exec(line))) out.nonInnodb.push({ table: m[1]!, engine: m[2] || "?" });
    else if (line.trim() !== "") out.problems.push(`unexpected line from the dump pipeline: ${excerpt(line)}`);
  }
  if (pending) out.problems.push(`table ${excerpt(pending.name)}: no checksum line`);
  return out;
}

/** Order-independent combination of two checksums (xor), for a table split over two dump sections. */
function combine(a: string, b: string): string {
  let s = "";
  for (let i = 0; i < 64; i += 8) s += ((Number.parseInt(a.slice(i, i + 8), 16) ^ Number.parseInt(b.slice(i, i + 8), 16)) >>> 0).toString(16).padStart(8, "0");
  return s;
}

/** A data file without metadata: a dump that failed, was interrupted, or is being written right now. */
export interface IncompleteBackup {
  id: string;
  file: string;
  size: number;
}

/**
 * The listing: `M<TAB>file<TAB>base64(content)` per metadata file and `F<TAB>file<TAB>size` per
 * data file. Returns complete backups (newest last), incomplete ones and warnings.
 */
export function parseBackupListing(out: string): { backups: BackupMeta[]; incomplete: IncompleteBackup[]; warnings: string[] } {
  const metas = new Map<string, BackupMeta>();
  const files = new Map<string, number>();
  const warnings: string[] = [];
  for (const line of out.split("\n")) {
    if (line === "") continue;
    const m = /^([MF])\t([^\t]+)\t(.*)$/.exec(line);
    const f = m && FILE_NAME.exec(m[2]!);
    if (!m || !f) {
      warnings.push(`backups: ignoring unexpected entry ${excerpt(m ? m[2]! : line)}`);
      continue;
    }
    const id = f[1]!;
    if (m[1] === "F") {
      if (/^[0-9]{1,15}$/.test(m[3]!)) files.set(m[2]!, Number(m[3]));
      continue;
    }
    if (f[2] !== "json") continue;
    const r = parseBackupMeta(Buffer.from(m[3]!, "base64").toString("utf8"));
    if (!r.ok) warnings.push(`backup ${id}: metadata ignored: ${r.problem}`);
    else if (r.value.id !== id) warnings.push(`backup ${id}: metadata names another backup (${excerpt(r.value.id)}): ignored`);
    else metas.set(id, r.value);
  }
  const backups = [...metas.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  for (const b of backups) if (!files.has(b.file)) warnings.push(`backup ${b.id}: its file ${b.file} is missing`);
  const incomplete: IncompleteBackup[] = [];
  for (const [file, size] of files) {
    const id = FILE_NAME.exec(file)![1]!;
    if (!metas.has(id) && !file.endsWith(".key.enc")) incomplete.push({ id, file, size });
  }
  incomplete.sort((a, b) => a.id.localeCompare(b.id));
  for (const i of incomplete) warnings.push(`backup ${i.id} is incomplete: ${i.file} has no metadata (a failed or interrupted dump, or one still running)`);
  return { backups, incomplete, warnings };
}

/**
 * Retention: keep the newest `keep`, and every backup younger than `keepDays`; the rest go.
 * `protect` ids (e.g. the backup about to be restored) are never removed.
 */
export function planRetention(backups: BackupMeta[], keep: number, keepDays: number, now = Date.now(), protect: string[] = []): BackupMeta[] {
  const newestFirst = [...backups].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
  const cutoff = now - keepDays * 86_400_000;
  return newestFirst.filter((b, i) => i >= keep && Date.parse(b.createdAt) < cutoff && !protect.includes(b.id)).reverse();
}

/** A per-table comparison of a backup's metadata with what a restore of it holds. */
export interface TableCheck {
  table: string;
  expectedRows: number | null;
  actualRows: number | null;
  sameChecksum: boolean;
  ok: boolean;
}

export function compareTables(expected: Record<string, TableStats>, actual: Record<string, TableStats>): TableCheck[] {
  const names = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  return names.map((table) => {
    const e = expected[table];
    const a = actual[table];
    const sameChecksum = Boolean(e && a && e.checksum === a.checksum);
    return { table, expectedRows: e?.rows ?? null, actualRows: a?.rows ?? null, sameChecksum, ok: sameChecksum && e?.rows === a?.rows };
  });
}
