/** The PostgreSQL store's migration list: applied in order from the store's version; a newer store is refused. */
import { describe, expect, it } from "vitest";
import { MIGRATIONS, pendingMigrations } from "../../../src/store/migrations.js";
import { StoreRefusedError } from "../../../src/store/store.js";

const list = [1, 2, 3].map((version) => ({ version, sql: `-- ${version}` }));

describe("pendingMigrations", () => {
  it("returns what a store at each version still needs, in order", () => {
    expect(pendingMigrations(0, list).map((m) => m.version)).toEqual([1, 2, 3]);
    expect(pendingMigrations(2, list).map((m) => m.version)).toEqual([3]);
    expect(pendingMigrations(3, list)).toEqual([]);
  });

  it("refuses a store whose schema is newer than this CLI knows, saying what to do", () => {
    expect(() => pendingMigrations(4, list)).toThrow(StoreRefusedError);
    expect(() => pendingMigrations(4, list)).toThrow(/schema version 4, newer than this slipway knows \(3\): upgrade slipway/);
  });

  it("rejects a list out of order or with gaps", () => {
    expect(() => pendingMigrations(0, [list[0]!, list[2]!])).toThrow(/migration 2 is numbered 3/);
  });

  it("the shipped list is valid and creates runs, events, tokens (a token's hash only)", () => {
    expect(pendingMigrations(0)).toHaveLength(MIGRATIONS.length);
    const first = MIGRATIONS[0]!.sql;
    for (const t of ["runs", "events", "tokens"]) expect(first).toContain(`CREATE TABLE ${t} (`);
    expect(first).toMatch(/token_hash text NOT NULL/);
    expect(first).not.toMatch(/\btoken text/);
    expect(first).toMatch(/PRIMARY KEY \(run_id, seq\)/);
  });

  it("migration 2 gives tokens a role and an app, and keeps unrevoked names unique per app", () => {
    const second = MIGRATIONS[1]!;
    expect(second.version).toBe(2);
    expect(second.sql).toMatch(/ALTER TABLE tokens ADD COLUMN role text NOT NULL .*CHECK \(role IN \('deployer', 'viewer'\)\)/);
    expect(second.sql).toMatch(/ALTER TABLE tokens ADD COLUMN app text NOT NULL/);
    expect(second.sql).toMatch(/CREATE UNIQUE INDEX tokens_live_name ON tokens \(app, name\) WHERE revoked_at IS NULL/);
  });
});
