/** The control machine's state store: deploy records and their full event logs. SQLite today; a PostgreSQL store implements the same interface. */
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

export interface StateStore {
  beginRun(r: { verb: string; env: string; by: string; startedAt: string; logPath: string | null }): number;
  updateRun(id: number, fields: Partial<Pick<RunRecord, "releaseId" | "commit" | "finishedAt" | "outcome" | "durationMs">>): void;
  appendEvent(runId: number, e: Timed<SlipwayEvent>): void;
  appendEvents(runId: number, events: Timed<SlipwayEvent>[]): void;
  listRuns(env: string, limit: number): RunRecord[];
  events(runId: number): Timed<SlipwayEvent>[];
  close(): void;
}
