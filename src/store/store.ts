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

export interface StateStore {
  /** "the local state store" or "the team's state store (PostgreSQL)", for messages. */
  readonly label: string;
  /** Local stores fail loudly at the start of a run; a remote one may be away and is retried in the background. */
  readonly remote: boolean;
  beginRun(r: NewRun): Promise<number>;
  updateRun(id: number, fields: RunFields): Promise<void>;
  /** Many events in one transaction; events already stored (same run and seq) are skipped. */
  appendEvents(runId: number, events: StoredEvent[]): Promise<void>;
  listRuns(env: string, limit: number): Promise<RunRecord[]>;
  events(runId: number): Promise<Timed<SlipwayEvent>[]>;
  close(): Promise<void>;
}

/** The store refuses to be used by this CLI (e.g. its schema is newer): the run must not start. */
export class StoreRefusedError extends UsageError {
  override name = "StoreRefusedError";
}
