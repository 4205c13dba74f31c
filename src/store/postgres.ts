/**
 * The team's state store in PostgreSQL (node-postgres), shared by every control machine. Loaded
 * only by a dynamic import when `state: postgres`, so --help and SQLite users never load `pg`.
 *
 * A pg.Pool reconnects by itself: a server restart kills idle connections (the pool's 'error',
 * handled here, or the process would crash) and the next query opens a new one. Every error
 * leaves this module redacted, because pg may quote what it was given, and the URL has a password.
 */
import pg from "pg";
import { OperationError } from "../errors.js";
import { makeRedactor, type Redactor } from "../events/redact.js";
import type { SlipwayEvent, Timed } from "../events/types.js";
import { urlSecrets } from "../config/state.js";
import { pendingMigrations } from "./migrations.js";
import {
  type NewRun,
  type NewToken,
  type PeriodRun,
  type RunFields,
  type RunFilter,
  type RunRecord,
  RUN_KEY,
  runColumns,
  runFilterSql,
  type StateStore,
  type StoredEvent,
  StoreRefusedError,
  type TokenRecord,
  type TokenRole,
  TokenNameTakenError,
  verbsSql,
} from "./store.js";

/** pg_advisory_xact_lock key serializing migrations across every CLI that opens the store ("slip"). */
const MIGRATION_LOCK = 0x736c6970;
const CONNECT_TIMEOUT_MS = 5000;
const QUERY_TIMEOUT_MS = 10_000;
const IMPORT_BATCH = 1000;

interface Row {
  id: string;
  verb: string;
  env: string;
  release_id: string | null;
  commit_sha: string | null;
  by: string;
  started_at: Date;
  finished_at: Date | null;
  outcome: string | null;
  duration_ms: number | null;
  log_path: string | null;
}

interface TokenRow {
  name: string;
  role: TokenRole;
  token_hash: string;
  created_at: Date;
  created_by: string;
  revoked_at: Date | null;
}

const toRecord = (r: Row): RunRecord => ({
  id: Number(r.id),
  verb: r.verb,
  env: r.env,
  releaseId: r.release_id,
  commit: r.commit_sha,
  by: r.by,
  startedAt: r.started_at.toISOString(),
  finishedAt: r.finished_at?.toISOString() ?? null,
  outcome: r.outcome,
  durationMs: r.duration_ms,
  logPath: r.log_path,
});

/** PostgreSQL's unique_violation, on the index that keeps unrevoked names unique. */
const nameTaken = (e: unknown) =>
  (e as { code?: string; constraint?: string }).code === "23505" && (e as { constraint?: string }).constraint === "tokens_live_name";

/** The store's errors: the message only (no URL-bearing properties), redacted. */
export class StoreError extends OperationError {
  override name = "StoreError";
}

export class PgStore implements StateStore {
  readonly label = "the team's state store (PostgreSQL)";
  readonly remote = true;
  private pool: pg.Pool;
  private redact: Redactor;
  private ready: Promise<void> | null = null;

  constructor(
    url: string,
    private app: string,
  ) {
    this.redact = makeRedactor(urlSecrets(url));
    this.pool = new pg.Pool({
      connectionString: url,
      max: 2,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      query_timeout: QUERY_TIMEOUT_MS,
      idleTimeoutMillis: 10_000,
      application_name: "slipway",
    });
    // An idle connection the server terminated: the pool drops it; the next query reconnects.
    this.pool.on("error", () => {});
  }

  beginRun(r: NewRun): Promise<number> {
    return this.guard(async () => {
      const { rows } = await this.pool.query<{ id: string }>(
        `INSERT INTO runs (run_key, app, verb, env, by, started_at, log_path) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (run_key) DO UPDATE SET run_key = EXCLUDED.run_key RETURNING id`,
        [r.key, this.app, r.verb, r.env, r.by, r.startedAt, r.logPath],
      );
      return Number(rows[0]!.id);
    });
  }

  updateRun(id: number, f: RunFields): Promise<void> {
    return this.guard(async () => {
      const set = runColumns(f);
      if (!set.length) return;
      await this.pool.query(`UPDATE runs SET ${set.map(([k], i) => `${k} = $${i + 1}`).join(", ")} WHERE id = $${set.length + 1}`, [
        ...set.map(([, v]) => v),
        id,
      ]);
    });
  }

  appendEvents(runId: number, events: StoredEvent[]): Promise<void> {
    return this.guard(async () => {
      if (events.length) await this.pool.query(...insertEvents(runId, events));
    });
  }

  listRuns(env: string, limit: number, filter: RunFilter = {}): Promise<RunRecord[]> {
    return this.guard(async () => {
      const f = runFilterSql(filter, (i) => `$${i}`, 3);
      const { rows } = await this.pool.query<Row>(`SELECT * FROM runs WHERE app = $1 AND env = $2${f.sql} ORDER BY id DESC LIMIT $${3 + f.values.length}`, [
        this.app,
        env,
        ...f.values,
        limit,
      ]);
      return rows.map(toRecord);
    });
  }

  runsBetween(env: string, fromIso: string, toIso: string, verbs: readonly string[]): Promise<PeriodRun[]> {
    return this.guard(async () => {
      const v = verbsSql(verbs, (i) => `$${i}`, 5);
      const { rows } = await this.pool.query<Row & { commit_time: string | null }>(
        `SELECT runs.*, (SELECT e.json->>'commitTime' FROM events e
           WHERE e.run_id = runs.id AND e.json->>'type' = 'run:start' ORDER BY e.seq LIMIT 1) AS commit_time
         FROM runs WHERE app = $1 AND env = $2 AND started_at >= $3 AND started_at < $4${v.sql} ORDER BY started_at, id`,
        [this.app, env, fromIso, toIso, ...v.values],
      );
      return rows.map((r) => ({ ...toRecord(r), commitTime: r.commit_time }));
    });
  }

  getRun(id: number): Promise<RunRecord | null> {
    return this.guard(async () => {
      const { rows } = await this.pool.query<Row>("SELECT * FROM runs WHERE app = $1 AND id = $2", [this.app, id]);
      return rows[0] ? toRecord(rows[0]) : null;
    });
  }

  runByKey(key: string): Promise<RunRecord | null> {
    // run_key is a uuid column: anything else could never match, and would make PostgreSQL raise.
    if (!RUN_KEY.test(key.toLowerCase())) return Promise.resolve(null);
    return this.guard(async () => {
      const { rows } = await this.pool.query<Row>("SELECT * FROM runs WHERE app = $1 AND run_key = $2", [this.app, key]);
      return rows[0] ? toRecord(rows[0]) : null;
    });
  }

  eventsAfter(runId: number, afterSeq: number, limit = 1000): Promise<StoredEvent[]> {
    return this.guard(async () => {
      // json::text: the event as it was written (pg would parse a json column into an object).
      const { rows } = await this.pool.query<{ seq: number; ts: Date; json: string }>(
        "SELECT seq, ts, json::text AS json FROM events WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        [runId, afterSeq, limit],
      );
      return rows.map((r) => ({ seq: r.seq, ts: r.ts.toISOString(), json: r.json }));
    });
  }

  createToken(t: NewToken): Promise<void> {
    return this.guard(async () => {
      try {
        await this.pool.query("INSERT INTO tokens (app, name, role, token_hash, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)", [
          this.app,
          t.name,
          t.role,
          t.hash,
          t.createdAt,
          t.createdBy,
        ]);
      } catch (e) {
        if (nameTaken(e)) throw new TokenNameTakenError(t.name);
        throw e;
      }
    });
  }

  listTokens(): Promise<TokenRecord[]> {
    return this.guard(async () => {
      const { rows } = await this.pool.query<TokenRow>("SELECT * FROM tokens WHERE app = $1 ORDER BY id", [this.app]);
      return rows.map((r) => ({
        name: r.name,
        role: r.role,
        hash: r.token_hash,
        createdAt: r.created_at.toISOString(),
        createdBy: r.created_by,
        revokedAt: r.revoked_at?.toISOString() ?? null,
      }));
    });
  }

  revokeToken(name: string, at: string): Promise<boolean> {
    return this.guard(async () => {
      const r = await this.pool.query("UPDATE tokens SET revoked_at = $1 WHERE app = $2 AND name = $3 AND revoked_at IS NULL", [at, this.app, name]);
      return (r.rowCount ?? 0) > 0;
    });
  }

  events(runId: number): Promise<Timed<SlipwayEvent>[]> {
    return this.guard(async () => {
      // pg parses `json` columns itself.
      const { rows } = await this.pool.query<{ json: Timed<SlipwayEvent> }>("SELECT json FROM events WHERE run_id = $1 ORDER BY seq", [runId]);
      return rows.map((r) => r.json);
    });
  }

  /** Copy one run from another store, once: false when `importedFrom` is already here. */
  importRun(importedFrom: string, r: RunRecord, events: StoredEvent[]): Promise<boolean> {
    return this.guard(() =>
      this.tx(async (c) => {
        const { rows } = await c.query<{ id: string }>(
          `INSERT INTO runs (imported_from, app, verb, env, release_id, commit_sha, by, started_at, finished_at, outcome, duration_ms, log_path)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (imported_from) DO NOTHING RETURNING id`,
          [importedFrom, this.app, r.verb, r.env, r.releaseId, r.commit, r.by, r.startedAt, r.finishedAt, r.outcome, r.durationMs, r.logPath],
        );
        if (!rows.length) return false;
        for (let i = 0; i < events.length; i += IMPORT_BATCH) await c.query(...insertEvents(Number(rows[0]!.id), events.slice(i, i + IMPORT_BATCH)));
        return true;
      }),
    );
  }

  async close(): Promise<void> {
    // A connection attempt still waiting on a server that is away must not hold the exit.
    await Promise.race([this.pool.end().catch(() => {}), new Promise((r) => setTimeout(r, 1000).unref())]);
  }

  /** Migrate on first use (memoized; retried after a failure, except a refusal), then run `fn`; errors leave redacted. */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      this.ready ??= this.migrate().catch((e) => {
        if (!(e instanceof StoreRefusedError)) this.ready = null;
        throw e;
      });
      await this.ready;
      return await fn();
    } catch (e) {
      if (e instanceof StoreRefusedError || e instanceof TokenNameTakenError) throw e;
      throw new StoreError(`PostgreSQL: ${this.redact(e instanceof Error ? e.message || String((e as { code?: string }).code) : String(e))}`);
    }
  }

  /**
   * Apply pending migrations in one transaction holding an advisory lock: CLIs opening a fresh
   * database at once queue on the lock, and the second finds the first's work done.
   */
  private migrate(): Promise<void> {
    return this.tx(async (c) => {
      await c.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
      await c.query("CREATE TABLE IF NOT EXISTS slipway_schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
      const { rows } = await c.query<{ v: number }>("SELECT coalesce(max(version), 0)::int AS v FROM slipway_schema_migrations");
      for (const m of pendingMigrations(rows[0]!.v)) {
        await c.query(m.sql);
        await c.query("INSERT INTO slipway_schema_migrations (version) VALUES ($1)", [m.version]);
      }
    });
  }

  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    // A checked-out client whose server goes away emits 'error' (unhandled, it would crash us); the query in flight rejects too.
    let broken: unknown = null;
    const onError = (e: Error) => {
      broken = e;
    };
    c.on("error", onError);
    try {
      await c.query("BEGIN");
      const out = await fn(c);
      await c.query("COMMIT");
      return out;
    } catch (e) {
      broken ??= e;
      await c.query("ROLLBACK").catch(() => {});
      throw e;
    } finally {
      // A client that failed is destroyed, not reused; a healthy one goes back without our listener.
      if (!broken) c.off("error", onError);
      c.release(broken ? true : undefined);
    }
  }
}

/** One INSERT for a batch (arrays unnested server side), skipping events already stored. */
function insertEvents(runId: number, events: StoredEvent[]): [string, unknown[]] {
  return [
    "INSERT INTO events (run_id, seq, ts, json) SELECT $1, * FROM unnest($2::int[], $3::timestamptz[], $4::json[]) ON CONFLICT DO NOTHING",
    [runId, events.map((e) => e.seq), events.map((e) => e.ts), events.map((e) => e.json)],
  ];
}
