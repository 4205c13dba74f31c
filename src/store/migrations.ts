/**
 * The PostgreSQL state store's schema, as an ordered list of migrations applied at open (see
 * postgres.ts: one transaction under an advisory lock). Append only: a released migration is
 * never edited, since every team's database has already run it.
 */
import { StoreRefusedError } from "./store.js";

export interface Migration {
  version: number;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    // run_key: a retried beginRun finds its row. imported_from: "<SQLite store id>:<its run id>",
    // so `state import` never copies a run twice. app: several apps may share one database.
    // events.json is `json`, not `jsonb`: kept byte for byte, and host output may hold \u0000.
    // tokens: for the dashboard's API tokens (a later change); only a hash of a token is ever stored.
    sql: `
CREATE TABLE runs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_key uuid UNIQUE,
  imported_from text UNIQUE,
  app text NOT NULL,
  verb text NOT NULL,
  env text NOT NULL,
  release_id text,
  commit_sha text,
  by text NOT NULL,
  started_at timestamptz NOT NULL,
  finished_at timestamptz,
  outcome text,
  duration_ms integer,
  log_path text
);
CREATE INDEX runs_app_env ON runs (app, env, id);
CREATE TABLE events (
  run_id bigint NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  seq integer NOT NULL,
  ts timestamptz NOT NULL,
  json json NOT NULL,
  PRIMARY KEY (run_id, seq)
);
CREATE TABLE tokens (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL,
  token_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL,
  revoked_at timestamptz
);`,
  },
  {
    version: 2,
    // The API tokens of `slipway serve`: a role (what the token may do) and an app (several apps may
    // share one database, and a token made for one must not open another's server). The table was
    // never written before this version, so the defaults only satisfy NOT NULL. A name is unique
    // among an app's unrevoked tokens (and may be reused after a revoke): the partial unique index.
    sql: `
ALTER TABLE tokens ADD COLUMN role text NOT NULL DEFAULT 'viewer' CHECK (role IN ('deployer', 'viewer'));
ALTER TABLE tokens ADD COLUMN app text NOT NULL DEFAULT '';
CREATE UNIQUE INDEX tokens_live_name ON tokens (app, name) WHERE revoked_at IS NULL;`,
  },
];

/** The migrations a store at `current` still needs, in order; a store newer than this CLI is refused. */
export function pendingMigrations(current: number, list: readonly Migration[] = MIGRATIONS): Migration[] {
  list.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${i + 1} is numbered ${m.version}: versions must be 1, 2, 3, ... in order`);
  });
  const known = list.length;
  if (current > known)
    throw new StoreRefusedError(
      `the team's state store (PostgreSQL) has schema version ${current}, newer than this slipway knows (${known}): upgrade slipway on this machine`,
    );
  return list.slice(current);
}
