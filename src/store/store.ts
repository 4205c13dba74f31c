/**
 * The control machine's state store: deploy records and their full event logs. SQLite (this
 * machine, src/store/sqlite.ts) or PostgreSQL (the team's, src/store/postgres.ts). Methods return
 * promises because PostgreSQL is remote; SQLite answers them at once.
 */
import { UsageError } from "../errors.js";
import type { SlipwayEvent, Timed } from "../events/types.js";

export interface RunRecord {
  id: number;
  verb: string;
  env: string;
  releaseId: string | null;
  commit: string | null;
  by: string;
  startedAt: string;
  finishedAt: string | null;
  outcome: string | null;
  durationMs: number | null;
  logPath: string | null;
}

/** A run's key as `beginRun` takes it: a UUID (lower-case hex, as randomUUID makes them). */
export const RUN_KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface NewRun {
  /** Unique per run (a UUID): a beginRun retried after a lost reply finds its row instead of adding one. */
  key: string;
  verb: string;
  env: string;
  by: string;
  startedAt: string;
  logPath: string | null;
}

export type RunFields = Partial<Pick<RunRecord, "releaseId" | "commit" | "finishedAt" | "outcome" | "durationMs">>;

/** An event as stored: its per-run sequence number is assigned by the writing process, so a retried batch is idempotent. */
export interface StoredEvent {
  seq: number;
  ts: string;
  json: string;
}

/** WHERE clauses (ANDed) and their values for a RunFilter; `param(i)` spells the i-th placeholder. */
export function runFilterSql(f: RunFilter, param: (i: number) => string, first = 1): { sql: string; values: string[] } {
  const cols = (
    [
      ["verb", f.verb],
      ["outcome", f.outcome],
      ["by", f.by],
    ] as const
  ).filter(([, v]) => v !== undefined) as [string, string][];
  return { sql: cols.map(([c], i) => ` AND "${c}" = ${param(first + i)}`).join(""), values: cols.map(([, v]) => v) };
}

/** The runs columns RunFields maps to. */
export function runColumns(f: RunFields): [string, unknown][] {
  const cols: [string, unknown][] = [
    ["release_id", f.releaseId],
    ["commit_sha", f.commit],
    ["finished_at", f.finishedAt],
    ["outcome", f.outcome],
    ["duration_ms", f.durationMs],
  ];
  return cols.filter(([, v]) => v !== undefined);
}

/** A run of a period (runsBetween), with the commit time its run:start event recorded (null: not recorded). */
export interface PeriodRun extends RunRecord {
  commitTime: string | null;
}

/**
 * The WHERE clause of runsBetween's verbs: each verb as it is, or with a component (`deploy web`).
 * `param(i)` spells the i-th placeholder; values follow in order.
 */
export function verbsSql(verbs: readonly string[], param: (i: number) => string, first: number): { sql: string; values: string[] } {
  if (!verbs.length) return { sql: " AND false", values: [] };
  const parts = verbs.map((_, i) => `verb = ${param(first + 2 * i)} OR verb LIKE ${param(first + 2 * i + 1)}`);
  // A verb is a fixed word of ours: nothing in it for LIKE to read as a wildcard but "_", which matches itself too.
  return { sql: ` AND (${parts.join(" OR ")})`, values: verbs.flatMap((v) => [v, `${v} %`]) };
}

/** Which runs `listRuns` returns: filtered in the store's query, so `limit` counts matching runs. */
export interface RunFilter {
  verb?: string;
  outcome?: string;
  by?: string;
}

/** What an API token may do: a viewer reads; a deployer may also act (the dashboard's write routes, later). */
export type TokenRole = "deployer" | "viewer";
export const TOKEN_ROLES: readonly TokenRole[] = ["deployer", "viewer"];

/** An API token as stored: never the token itself, only its SHA-256 hash (hex). */
export interface TokenRecord {
  name: string;
  role: TokenRole;
  hash: string;
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
}

export type NewToken = Omit<TokenRecord, "revokedAt">;

/** A token name already used by an unrevoked token (names identify tokens in `tokens revoke` and in logs). */
export class TokenNameTakenError extends UsageError {
  override name = "TokenNameTakenError";
  constructor(name: string) {
    super(`a token named "${name}" exists and is not revoked: revoke it first (slipway tokens revoke ${name}) or pick another name`);
  }
}

export interface StateStore {
  /** "the local state store" or "the team's state store (PostgreSQL)", for messages. */
  readonly label: string;
  /** Local stores fail loudly at the start of a run; a remote one may be away and is retried in the background. */
  readonly remote: boolean;
  beginRun(r: NewRun): Promise<number>;
  updateRun(id: number, fields: RunFields): Promise<void>;
  /** Many events in one transaction; events already stored (same run and seq) are skipped. */
  appendEvents(runId: number, events: StoredEvent[]): Promise<void>;
  /** The newest `limit` runs of `env` matching `filter`, newest first. */
  listRuns(env: string, limit: number, filter?: RunFilter): Promise<RunRecord[]>;
  /**
   * Runs of `env` started in [fromIso, toIso) whose verb is one of `verbs` (with or without a
   * component), oldest first, each with its run:start event's commitTime (the metrics page reads this).
   */
  runsBetween(env: string, fromIso: string, toIso: string, verbs: readonly string[]): Promise<PeriodRun[]>;
  /** One run by id (null: none, or another app's in a shared store). */
  getRun(id: number): Promise<RunRecord | null>;
  events(runId: number): Promise<Timed<SlipwayEvent>[]>;
  /** A run's stored events with seq > `afterSeq`, in order (the dashboard's live log polls this). */
  eventsAfter(runId: number, afterSeq: number, limit?: number): Promise<StoredEvent[]>;
  /** The run begun with this key (`SLIPWAY_RUN_KEY`, set by `slipway serve` for the runs it starts), or null. */
  runByKey(key: string): Promise<RunRecord | null>;
  /** Store a new token; TokenNameTakenError when an unrevoked token has that name. */
  createToken(t: NewToken): Promise<void>;
  /** Every token, revoked ones included, oldest first. */
  listTokens(): Promise<TokenRecord[]>;
  /** Mark the unrevoked token of that name revoked; false when there is none. */
  revokeToken(name: string, at: string): Promise<boolean>;
  close(): Promise<void>;
}

/** The store refuses to be used by this CLI (e.g. its schema is newer): the run must not start. */
export class StoreRefusedError extends UsageError {
  override name = "StoreRefusedError";
}
