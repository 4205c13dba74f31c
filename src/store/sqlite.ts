/** better-sqlite3: synchronous, embedded, the best-kept SQLite binding for Node (node:sqlite needs Node 22). */
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { SlipwayEvent, Timed } from "../events/types.js";
import {
  type NewRun,
  type NewToken,
  type PeriodRun,
  type RunFields,
  type RunFilter,
  type RunRecord,
  runColumns,
  runFilterSql,
  type StateStore,
  type StoredEvent,
  type TokenRecord,
  type TokenRole,
  TokenNameTakenError,
  verbsSql,
} from "./store.js";
import { privateDir, privateFile, privateIfExists } from "./private.js";

// store_meta.store_id names this file for `slipway state import` (which keeps it with each copied
// run): it survives moving or copying the file, and two machines' stores at the same path differ.
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
CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL, role TEXT NOT NULL CHECK (role IN ('deployer', 'viewer')), token_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL, created_by TEXT NOT NULL, revoked_at TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS tokens_live_name ON tokens(name) WHERE revoked_at IS NULL;
`;
// tokens: only a SHA-256 hash of each API token (see src/serve/tokens.ts); the partial unique index
// lets a name be reused once its token is revoked, and makes two concurrent creates of one name fail.

interface TokenRow {
  name: string;
  role: TokenRole;
  token_hash: string;
  created_at: string;
  created_by: string;
  revoked_at: string | null;
}

const toToken = (r: TokenRow): TokenRecord => ({
  name: r.name,
  role: r.role,
  hash: r.token_hash,
  createdAt: r.created_at,
  createdBy: r.created_by,
  revokedAt: r.revoked_at,
});

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

const toRecord = (r: Row): RunRecord => ({
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
});

export class SqliteStore implements StateStore {
  readonly label = "the local state store";
  readonly remote = false;
  private db: Database.Database;

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
    // run_key came later than the runs table: older stores gain the column (NULL for their runs).
    const cols = this.db.prepare("PRAGMA table_info(runs)").all() as { name: string }[];
    if (!cols.some((c) => c.name === "run_key")) this.db.exec("ALTER TABLE runs ADD COLUMN run_key TEXT");
    this.db.exec("CREATE UNIQUE INDEX IF NOT EXISTS runs_key ON runs(run_key) WHERE run_key IS NOT NULL");
  }

  async beginRun(r: NewRun): Promise<number> {
    // Same contract as PostgreSQL: a key already begun names its run instead of adding one.
    const known = this.db.prepare("SELECT id FROM runs WHERE run_key = ?").get(r.key) as { id: number } | undefined;
    if (known) return known.id;
    const info = this.db
      .prepare("INSERT INTO runs (run_key, verb, env, by, started_at, log_path) VALUES (?, ?, ?, ?, ?, ?)")
      .run(r.key, r.verb, r.env, r.by, r.startedAt, r.logPath);
    return Number(info.lastInsertRowid);
  }

  async updateRun(id: number, f: RunFields): Promise<void> {
    const set = runColumns(f);
    if (!set.length) return;
    this.db.prepare(`UPDATE runs SET ${set.map(([k]) => `${k} = ?`).join(", ")} WHERE id = ?`).run(...set.map(([, v]) => v), id);
  }

  async appendEvents(runId: number, events: StoredEvent[]): Promise<void> {
    const insert = this.db.prepare("INSERT OR IGNORE INTO events (run_id, seq, ts, json) VALUES (?, ?, ?, ?)");
    this.db.transaction(() => {
      for (const e of events) insert.run(runId, e.seq, e.ts, e.json);
    })();
  }

  async listRuns(env: string, limit: number, filter: RunFilter = {}): Promise<RunRecord[]> {
    const f = runFilterSql(filter, () => "?");
    return (this.db.prepare(`SELECT * FROM runs WHERE env = ?${f.sql} ORDER BY id DESC LIMIT ?`).all(env, ...f.values, limit) as Row[]).map(toRecord);
  }

  async runsBetween(env: string, fromIso: string, toIso: string, verbs: readonly string[]): Promise<PeriodRun[]> {
    const v = verbsSql(verbs, () => "?", 0);
    // The run's first run:start event, found by the (run_id, seq) key: a few events into the run at most.
    const rows = this.db
      .prepare(
        `SELECT runs.*, (SELECT json_extract(e.json, '$.commitTime') FROM events e
           WHERE e.run_id = runs.id AND json_extract(e.json, '$.type') = 'run:start' ORDER BY e.seq LIMIT 1) AS commit_time
         FROM runs WHERE env = ? AND started_at >= ? AND started_at < ?${v.sql} ORDER BY started_at, id`,
      )
      .all(env, fromIso, toIso, ...v.values) as (Row & { commit_time: unknown })[];
    return rows.map((r) => ({ ...toRecord(r), commitTime: typeof r.commit_time === "string" ? r.commit_time : null }));
  }

  async getRun(id: number): Promise<RunRecord | null> {
    const r = this.db.prepare("SELECT * FROM runs WHERE id = ?").get(id) as Row | undefined;
    return r ? toRecord(r) : null;
  }

  async runByKey(key: string): Promise<RunRecord | null> {
    const r = this.db.prepare("SELECT * FROM runs WHERE run_key = ?").get(key) as Row | undefined;
    return r ? toRecord(r) : null;
  }

  async eventsAfter(runId: number, afterSeq: number, limit = 1000): Promise<StoredEvent[]> {
    return this.db.prepare("SELECT seq, ts, json FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?").all(runId, afterSeq, limit) as StoredEvent[];
  }

  async createToken(t: NewToken): Promise<void> {
    try {
      this.db
        .prepare("INSERT INTO tokens (name, role, token_hash, created_at, created_by) VALUES (?, ?, ?, ?, ?)")
        .run(t.name, t.role, t.hash, t.createdAt, t.createdBy);
    } catch (e) {
      if ((e as { code?: string }).code === "SQLITE_CONSTRAINT_UNIQUE" && /tokens\.name/.test((e as Error).message)) throw new TokenNameTakenError(t.name);
      throw e;
    }
  }

  async listTokens(): Promise<TokenRecord[]> {
    return (this.db.prepare("SELECT * FROM tokens ORDER BY id").all() as TokenRow[]).map(toToken);
  }

  async revokeToken(name: string, at: string): Promise<boolean> {
    return this.db.prepare("UPDATE tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL").run(at, name).changes > 0;
  }

  async events(runId: number): Promise<Timed<SlipwayEvent>[]> {
    return this.storedEvents(runId).map((r) => JSON.parse(r.json));
  }

  /** Every run of every environment, oldest first (for `state import`). */
  allRuns(): RunRecord[] {
    return (this.db.prepare("SELECT * FROM runs ORDER BY id").all() as Row[]).map(toRecord);
  }

  storedEvents(runId: number): StoredEvent[] {
    return this.db.prepare("SELECT seq, ts, json FROM events WHERE run_id = ? ORDER BY seq").all(runId) as StoredEvent[];
  }

  /** This file's identity, made on first use. */
  storeId(): string {
    this.db.prepare("INSERT OR IGNORE INTO store_meta (key, value) VALUES ('store_id', ?)").run(randomUUID());
    return (this.db.prepare("SELECT value FROM store_meta WHERE key = 'store_id'").get() as { value: string }).value;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

/**
 * Release ids of successful runs of `verb` (a deploy) recorded for `env`, newest first. Opened
 * read-only and only if the file exists: shell completion reads it and must never create a store.
 * Completion reads only this machine's SQLite store, synchronously, even when `state: postgres`
 * (a Tab key must not wait on the network); with PostgreSQL it offers what this machine recorded before.
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
