/** better-sqlite3: synchronous, embedded, the best-kept SQLite binding for Node (node:sqlite needs Node 22). */
import { existsSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { EventSink, SlipwayEvent, Timed } from "../events/types.js";
import type { RunRecord, StateStore } from "./store.js";
import { privateDir, privateFile, privateIfExists } from "./private.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  verb TEXT NOT NULL, env TEXT NOT NULL, release_id TEXT, commit_sha TEXT, by TEXT NOT NULL,
  started_at TEXT NOT NULL, finished_at TEXT, outcome TEXT, duration_ms INTEGER, log_path TEXT
);
CREATE TABLE IF NOT EXISTS events (
  run_id INTEGER NOT NULL REFERENCES runs(id), seq INTEGER NOT NULL, ts TEXT NOT NULL, json TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
);
CREATE INDEX IF NOT EXISTS runs_env ON runs(env, id);
`;

interface Row {
  id: number;
  verb: string;
  env: string;
  release_id: string | null;
  commit_sha: string | null;
  by: string;
  started_at: string;
  finished_at: string | null;
  outcome: string | null;
  duration_ms: number | null;
  log_path: string | null;
}

export class SqliteStore implements StateStore {
  private db: Database.Database;
  private seq = new Map<number, number>();

  constructor(file: string) {
    privateDir(path.dirname(file));
    // SQLite gives -wal/-shm the main file's mode, so a 0600 database keeps them private too;
    // existing ones (from before) are corrected.
    privateFile(file);
    for (const f of [`${file}-wal`, `${file}-shm`]) privateIfExists(f);
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    for (const f of [`${file}-wal`, `${file}-shm`]) privateIfExists(f);
    this.db.pragma("busy_timeout = 5000");
    // WAL + NORMAL: durable across crashes of this process, without an fsync per event.
    this.db.pragma("synchronous = NORMAL");
    this.db.exec(SCHEMA);
  }

  beginRun(r: { verb: string; env: string; by: string; startedAt: string; logPath: string | null }): number {
    const info = this.db
      .prepare("INSERT INTO runs (verb, env, by, started_at, log_path) VALUES (?, ?, ?, ?, ?)")
      .run(r.verb, r.env, r.by, r.startedAt, r.logPath);
    return Number(info.lastInsertRowid);
  }

  updateRun(id: number, f: Partial<Pick<RunRecord, "releaseId" | "commit" | "finishedAt" | "outcome" | "durationMs">>): void {
    const cols: Record<string, unknown> = {
      release_id: f.releaseId,
      commit_sha: f.commit,
      finished_at: f.finishedAt,
      outcome: f.outcome,
      duration_ms: f.durationMs,
    };
    const set = Object.entries(cols).filter(([, v]) => v !== undefined);
    if (!set.length) return;
    this.db.prepare(`UPDATE runs SET ${set.map(([k]) => `${k} = ?`).join(", ")} WHERE id = ?`).run(...set.map(([, v]) => v), id);
  }

  appendEvent(runId: number, e: Timed<SlipwayEvent>): void {
    this.appendEvents(runId, [e]);
  }

  /** Many events in one transaction. */
  appendEvents(runId: number, events: Timed<SlipwayEvent>[]): void {
    const insert = this.db.prepare("INSERT INTO events (run_id, seq, ts, json) VALUES (?, ?, ?, ?)");
    this.db.transaction(() => {
      for (const e of events) {
        const seq = (this.seq.get(runId) ?? 0) + 1;
        this.seq.set(runId, seq);
        insert.run(runId, seq, e.ts, JSON.stringify(e));
      }
    })();
  }

  listRuns(env: string, limit: number): RunRecord[] {
    const rows = this.db.prepare("SELECT * FROM runs WHERE env = ? ORDER BY id DESC LIMIT ?").all(env, limit) as Row[];
    return rows.map((r) => ({
      id: r.id,
      verb: r.verb,
      env: r.env,
      releaseId: r.release_id,
      commit: r.commit_sha,
      by: r.by,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
      outcome: r.outcome,
      durationMs: r.duration_ms,
      logPath: r.log_path,
    }));
  }

  events(runId: number): Timed<SlipwayEvent>[] {
    return (this.db.prepare("SELECT json FROM events WHERE run_id = ? ORDER BY seq").all(runId) as { json: string }[]).map((r) => JSON.parse(r.json));
  }

  close(): void {
    this.db.close();
  }
}

/**
 * Release ids of successful runs of `verb` (a deploy) recorded for `env`, newest first. Opened
 * read-only and only if the file exists: shell completion reads it and must never create a store.
 */
export function recordedReleaseIds(file: string, env: string, verb: string, limit = 50): string[] {
  if (!existsSync(file)) return [];
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare(
        "SELECT release_id FROM runs WHERE env = ? AND verb = ? AND outcome = 'ok' AND release_id IS NOT NULL GROUP BY release_id ORDER BY MAX(id) DESC LIMIT ?",
      )
      .all(env, verb, limit) as { release_id: string }[];
    return rows.map((r) => r.release_id);
  } finally {
    db.close();
  }
}

/** Records a run's events and outcome as they stream by. Writes are batched in one transaction per flush. */
export class StoreSink implements EventSink {
  private pending: Timed<SlipwayEvent>[] = [];
  constructor(
    private store: StateStore,
    private runId: number,
  ) {}
  handle(e: Timed<SlipwayEvent>): void {
    this.pending.push(e);
    if (e.type === "run:start") this.store.updateRun(this.runId, { releaseId: e.releaseId ?? null, commit: e.commit ?? null });
    if (e.type === "run:end") this.store.updateRun(this.runId, { finishedAt: e.ts, outcome: e.ok ? "ok" : "failed", durationMs: e.durationMs });
    if (this.pending.length >= 200 || e.type === "run:end") this.flush();
  }
  flush(): void {
    if (this.pending.length) this.store.appendEvents(this.runId, this.pending);
    this.pending = [];
  }
  close(): void {
    this.flush();
  }
}
