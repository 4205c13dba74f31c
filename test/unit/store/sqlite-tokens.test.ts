/** The SQLite store's tokens and run filters, on a real file in a temp dir. */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../../../src/store/sqlite.js";
import { TokenNameTakenError } from "../../../src/store/store.js";

let dir: string;
let store: SqliteStore;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "slipway-store-"));
  store = new SqliteStore(path.join(dir, "state.db"));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const tok = (name: string, hash: string, role: "viewer" | "deployer" = "viewer") => ({
  name,
  role,
  hash,
  createdAt: "2026-12-03T08:00:00.000Z",
  createdBy: "ada@box",
});

describe("SqliteStore tokens", () => {
  it("creates, lists, revokes; a name is unique among unrevoked tokens and free again after a revoke", async () => {
    await store.createToken(tok("ci", "a".repeat(64), "deployer"));
    await expect(store.createToken(tok("ci", "b".repeat(64)))).rejects.toThrow(TokenNameTakenError);
    await expect(store.createToken(tok("ci", "b".repeat(64)))).rejects.toThrow(/a token named "ci" exists and is not revoked: revoke it first/);
    expect(await store.revokeToken("ci", "2026-12-03T09:00:00.000Z")).toBe(true);
    expect(await store.revokeToken("ci", "2026-12-03T09:00:00.000Z")).toBe(false);
    await store.createToken(tok("ci", "b".repeat(64)));
    expect(await store.listTokens()).toEqual([
      { ...tok("ci", "a".repeat(64), "deployer"), revokedAt: "2026-12-03T09:00:00.000Z" },
      { ...tok("ci", "b".repeat(64)), revokedAt: null },
    ]);
  });

  it("refuses a role other than deployer or viewer", async () => {
    await expect(store.createToken({ ...tok("x", "c".repeat(64)), role: "admin" as "viewer" })).rejects.toThrow(/CHECK constraint/);
  });
});

describe("SqliteStore listRuns filters", () => {
  it("filters by verb, outcome and by in the query, so the limit counts matching runs", async () => {
    let n = 0;
    // Run keys are unique (UUIDs in real runs): two runs with the same verb, by and outcome need two keys.
    const mk = async (verb: string, by: string, outcome: string) => {
      const id = await store.beginRun({ key: `${verb}${by}${outcome}${++n}`, verb, env: "prod", by, startedAt: "2026-12-03T08:00:00.000Z", logPath: null });
      await store.updateRun(id, { outcome });
      return id;
    };
    const d1 = await mk("deploy", "ada", "ok");
    const r1 = await mk("rollback", "ada", "ok");
    const d2 = await mk("deploy", "bob", "failed");
    const d3 = await mk("deploy", "ada", "ok");
    const ids = async (f: object, limit = 10) => (await store.listRuns("prod", limit, f)).map((r) => r.id);
    expect(await ids({})).toEqual([d3, d2, r1, d1]);
    expect(await ids({ verb: "deploy" })).toEqual([d3, d2, d1]);
    expect(await ids({ verb: "deploy", outcome: "ok" })).toEqual([d3, d1]);
    expect(await ids({ by: "bob" })).toEqual([d2]);
    expect(await ids({ verb: "deploy", by: "ada" }, 1)).toEqual([d3]);
    expect(await ids({ verb: "nothing" })).toEqual([]);
    expect((await store.getRun(r1))?.verb).toBe("rollback");
    expect(await store.getRun(999)).toBeNull();
  });
});
