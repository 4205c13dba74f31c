/**
 * Everything a host sends back is input, like a user's: release ids, the `current` target,
 * manifests, history lines, lock files and the `deploying` record are parsed here, against strict
 * formats, before they can reach a path, a git argument or an `rm`. A malformed value becomes a
 * problem the caller reports; it is never fatal to a read-only verb.
 */
import { z } from "zod";
import { COMMIT, FILES, META_DIR, RELEASE_ID, type Paths } from "../config/paths.js";
import { shPath } from "../commands/quote.js";

export { COMMIT };

export const isReleaseId = (s: unknown): s is string => typeof s === "string" && RELEASE_ID.test(s);
export const isCommit = (s: unknown): s is string => typeof s === "string" && COMMIT.test(s);

/** What `readlink current` printed: `releases/<id>` (relative, as we write it) or an absolute path ending so. */
export function parseCurrentTarget(target: string): string | null {
  const m = /(?:^|\/)releases\/([^/]+)\/?$/.exec(target);
  return m && isReleaseId(m[1]) ? m[1]! : null;
}

/** Short text from a host: bounded, so one bad file cannot flood a screen. */
const text = (max = 512) => z.string().max(max);
const iso = text(64);
const releaseId = z.string().regex(RELEASE_ID, "expected a release id like 20261122-050403-abc1234");
const commit = z.string().regex(COMMIT, "expected a 40-character hex commit");

/** A gate's result as kept with a release and in history (plan/preflight.ts gateRecord). */
const gateRecordSchema = z.object({
  gate: text(64),
  ok: z.boolean(),
  line: text(300),
  overridden: z.object({ by: text(), reason: text(4096) }).optional(),
});

const manifestSchema = z.object({
  id: releaseId,
  app: text(),
  env: text(),
  commit,
  ref: text(),
  source: z.enum(["git", "dir"]),
  deployedBy: text(),
  createdAt: iso,
  toolVersion: text(64),
  previous: releaseId.nullable(),
  hotfix: z.boolean().optional(),
  expiresAt: iso.optional(),
  gates: z.array(gateRecordSchema).max(64).optional(),
  /** Per database: the backups taken around this release's migrations and a fingerprint of its schema state. */
  db: z
    .record(
      text(64),
      z.lazy(() => dbSummarySchema),
    )
    .optional(),
});

/** A backup id as the database helpers write it (checked again wherever one becomes a path). */
const backupId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, "expected a backup id");

/** The compact schema fingerprint a manifest carries (db.json next to it has the details). */
const dbSummarySchema = z.object({
  backupBefore: backupId.optional(),
  backupAfter: backupId.optional(),
  alters: z.number().int().nonnegative(),
  altersHash: text(64),
  statusHash: text(64).optional(),
});

const alterRef = z.object({ name: text(256), checksum: text(128) });
/** `releases/<id>/.slipway/db.json`: what each database looked like when this release went live. */
const dbRecordSchema = z.record(
  text(64),
  z.object({
    backupBefore: backupId.optional(),
    backupAfter: backupId.optional(),
    alters: z.array(alterRef).max(100_000),
    statusHash: text(64).optional(),
    status: z.string().max(65_536).optional(),
  }),
);
export type DbRecord = z.infer<typeof dbRecordSchema>;
export type DbSummary = z.infer<typeof dbSummarySchema>;

const deployingSchema = z.object({
  release: releaseId,
  commit,
  ref: text(),
  by: text(),
  startedAt: iso,
  previous: releaseId.nullable(),
  hotfix: z.boolean().optional(),
});

const lockSchema = z
  .object({
    token: text(128),
    who: text(),
    reason: text(4096),
    verb: text(64),
    since: iso,
    version: text(64),
    controlHost: text(),
    pid: z.number().int().nonnegative(),
    manual: z.boolean(),
  })
  .partial();

const historySchema = z.object({
  at: iso,
  verb: z.enum(["deploy", "rollback", "setup-release", "db clone"]),
  hotfix: z.boolean().optional(),
  resumed: z.boolean().optional(),
  /** A rollback Slipway did by itself (a failing verify-window check), with that check's evidence. */
  automatic: z.boolean().optional(),
  evidence: text(1000).optional(),
  env: text(),
  /** `-` for verbs that do not change the release (db clone). */
  release: z.union([releaseId, z.literal("-")]),
  fromRelease: releaseId.nullable(),
  fromCommit: commit.nullable(),
  toCommit: z.union([commit, z.literal("unknown")]),
  by: text(),
  outcome: z.enum(["ok", "partial", "failed", "interrupted"]),
  durationMs: z.number().nonnegative(),
  toolVersion: text(64),
  message: text(4096).optional(),
  gates: z.array(gateRecordSchema).max(64).optional(),
  /** Backups taken by this run, per database. */
  backups: z.record(text(64), z.array(backupId).max(16)).optional(),
  /** `promote --from`: the environment, release and commit this deploy shipped. */
  promotedFrom: z.object({ env: text(64), release: releaseId, commit }).optional(),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type DeployingInfo = z.infer<typeof deployingSchema>;
export type HostLockInfo = z.infer<typeof lockSchema>;
export type HistoryEntry = z.infer<typeof historySchema>;

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

/** Printable excerpt of a bad value for a warning: control characters shown, length capped. */
export function excerpt(s: string, max = 80): string {
  const shown = JSON.stringify(s.length > max ? s.slice(0, max) + "…" : s);
  return shown;
}

function parseWith<T>(schema: z.ZodType<T>, what: string, raw: string): Parsed<T> {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { ok: false, problem: `${what} is not JSON: ${excerpt(raw)}` };
  }
  const r = schema.safeParse(data);
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0]!;
  const at = issue.path.length ? `.${issue.path.join(".")}` : "";
  return { ok: false, problem: `${what}${at}: ${issue.message}` };
}

export const parseManifest = (raw: string) => parseWith(manifestSchema, FILES.manifest, raw);
export const parseDeploying = (raw: string) => parseWith(deployingSchema, `${META_DIR}/${FILES.deploying}`, raw);
export const parseLockInfo = (raw: string) => parseWith(lockSchema, `lock ${FILES.lockInfo}`, raw);
export const parseDbRecord = (raw: string) => parseWith(dbRecordSchema, "db.json", raw);
export const parseHistoryLine = (raw: string) => parseWith(historySchema, "history line", raw);

/** The newest `limit` history lines from the host (read next to their parser, below). */
export function readHistory(p: Paths, limit: number): string {
  return `[ -f ${shPath(p.history)} ] && tail -n ${Math.max(1, Math.floor(limit))} ${shPath(p.history)} || true`;
}

/**
 * History lines, newest last as stored; malformed lines are skipped and counted so the verb can
 * say so instead of failing.
 */
export function parseHistory(out: string): { entries: HistoryEntry[]; problems: string[] } {
  const entries: HistoryEntry[] = [];
  const problems: string[] = [];
  out.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    const r = parseHistoryLine(line);
    if (r.ok) entries.push(r.value);
    else problems.push(`line ${i + 1}: ${r.problem}`);
  });
  return { entries, problems };
}
