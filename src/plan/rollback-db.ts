/**
 * Migration-aware rollback, pure: compare the schema state the target release was deployed with
 * against what the database holds now, name what ran since, and pick the backup that
 * `rollback --restore-db` brings back (the one taken right before those migrations).
 */
import type { DbRecord, Manifest } from "./host-input.js";

export interface SchemaDrift {
  db: string;
  /** Alters applied now that the target release did not have. */
  ranSince: string[];
  /** schema_status lines now that the target's output did not have (and the other way round). */
  statusAdded: string[];
  statusRemoved: string[];
  /** Why nothing could be compared (no record for the target, for instance). */
  unknown?: string;
}

type Rec = DbRecord[string];

/** What changed for one database between the target's record and now. */
export function schemaDrift(
  db: string,
  target: Rec | undefined,
  current: Rec | undefined,
  liveApplied: string[] | undefined,
  targetFiles: string[] | undefined,
): SchemaDrift {
  const known = new Set([...(target?.alters.map((a) => a.name) ?? []), ...(targetFiles ?? [])]);
  const ranSince = target || targetFiles ? (liveApplied ?? current?.alters.map((a) => a.name) ?? []).filter((n) => !known.has(n)) : [];
  const lines = (t?: string) =>
    (t ?? "")
      .split("\n")
      .map((l) => l.trimEnd())
      .filter(Boolean);
  let statusAdded: string[] = [];
  let statusRemoved: string[] = [];
  if (target?.statusHash && current?.statusHash && target.statusHash !== current.statusHash) {
    const was = new Set(lines(target.status));
    const now = new Set(lines(current.status));
    statusAdded = [...now].filter((l) => !was.has(l));
    statusRemoved = [...was].filter((l) => !now.has(l));
    if (!statusAdded.length && !statusRemoved.length) statusAdded = ["(schema_status output differs)"];
  }
  const unknown = !target && !targetFiles ? "the target release has no schema record (deployed before this database was configured?)" : undefined;
  return { db, ranSince, statusAdded, statusRemoved, ...(unknown ? { unknown } : {}) };
}

export const drifted = (d: SchemaDrift) => d.ranSince.length > 0 || d.statusAdded.length > 0 || d.statusRemoved.length > 0;

/** Lines for a refusal or warning: what ran since the target, per database. */
export function describeDrift(target: string, drifts: SchemaDrift[]): string {
  const out: string[] = [];
  for (const d of drifts) {
    if (d.unknown) out.push(`  ${d.db}: cannot compare: ${d.unknown}`);
    if (!drifted(d)) continue;
    out.push(`  ${d.db}: the schema changed since ${target}:`);
    for (const n of d.ranSince) out.push(`    alter applied since: ${n}`);
    for (const l of d.statusAdded) out.push(`    schema_status now: ${l}`);
    for (const l of d.statusRemoved) out.push(`    schema_status then: ${l}`);
  }
  return out.join("\n");
}

/**
 * The backup to restore for `--restore-db`: the before-migrate backup of the oldest release newer
 * than the target that took one (the database as it was while the target's schema was live).
 */
export function restoreCandidate(
  db: string,
  releases: { id: string; manifest: Manifest | null }[],
  target: string,
): { release: string; backup: string } | null {
  for (const r of releases) {
    if (r.id <= target) continue;
    const b = r.manifest?.db?.[db]?.backupBefore;
    if (b) return { release: r.id, backup: b };
  }
  return null;
}

/** Per-table rows: what the backup holds vs now, for "what data written since would be lost". */
export function lossLines(backupRows: Record<string, number>, liveRows: Record<string, number>): string[] {
  const names = [...new Set([...Object.keys(backupRows), ...Object.keys(liveRows)])].sort();
  return names
    .filter((t) => backupRows[t] !== liveRows[t])
    .map((t) => {
      const was = backupRows[t];
      const now = liveRows[t];
      if (was === undefined) return `    ${t}: table created since (${now} rows) — dropped by the restore`;
      if (now === undefined) return `    ${t}: table gone now (${was} rows in the backup) — comes back`;
      const d = now - was;
      return `    ${t}: ${now} rows now, ${was} in the backup (${d > 0 ? `${d} written since are lost` : `${-d} deleted since come back`})`;
    });
}

/** Parse the `table<TAB>rows` lines of commands/db/counts.ts; anything else is skipped. */
export function parseTableRows(out: string): Record<string, number> {
  const rows: Record<string, number> = {};
  for (const line of out.split("\n")) {
    const m = /^([^\t]{1,256})\t(\d{1,18})$/.exec(line);
    if (m) rows[m[1]!] = Number(m[2]);
  }
  return rows;
}
