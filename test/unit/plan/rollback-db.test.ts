/** Migration-aware rollback, pure: drift between the target's schema record and now, the backup to restore, the loss. */
import { describe, expect, it } from "vitest";
import { describeDrift, drifted, lossLines, parseTableRows, restoreCandidate, schemaDrift } from "../../../src/plan/rollback-db.js";
import type { Manifest } from "../../../src/plan/host-input.js";

const rec = (names: string[], status?: string) => ({
  alters: names.map((name) => ({ name, checksum: "x" })),
  ...(status ? { statusHash: status, status } : {}),
});

describe("schemaDrift", () => {
  it("names the alters applied since the target", () => {
    const d = schemaDrift("main", rec(["0001.sql"]), rec(["0001.sql", "0002.sql"]), ["0001.sql", "0002.sql", "0003.sql"], undefined);
    expect(d.ranSince).toEqual(["0002.sql", "0003.sql"]);
    expect(drifted(d)).toBe(true);
    expect(describeDrift("R1", [d])).toContain("alter applied since: 0003.sql");
  });
  it("no drift when the live alters are the target's", () => expect(drifted(schemaDrift("main", rec(["a"]), rec(["a"]), ["a"], undefined))).toBe(false));
  it("alters the target's code has (git) count as known even without a record", () =>
    expect(schemaDrift("main", undefined, undefined, ["a", "b"], ["a"]).ranSince).toEqual(["b"]));
  it("schema_status output lines that differ are named", () => {
    const d = schemaDrift("main", rec([], "[X] 0001_initial\n[ ] 0002_price"), rec([], "[X] 0001_initial\n[X] 0002_price"), [], undefined);
    expect(d.statusAdded).toEqual(["[X] 0002_price"]);
    expect(d.statusRemoved).toEqual(["[ ] 0002_price"]);
  });
  it("without any record it says it cannot compare, and is not a drift", () => {
    const d = schemaDrift("main", undefined, undefined, undefined, undefined);
    expect(d.unknown).toMatch(/no schema record/);
    expect(drifted(d)).toBe(false);
  });
});

describe("restoreCandidate", () => {
  const m = (backupBefore?: string) => ({ db: backupBefore ? { main: { backupBefore, alters: 1, altersHash: "h" } } : undefined }) as unknown as Manifest;
  const releases = [
    { id: "20261201-000000-aaaaaaa", manifest: m("b0") },
    { id: "20261202-000000-bbbbbbb", manifest: m() },
    { id: "20261203-000000-ccccccc", manifest: m("b2") },
    { id: "20261204-000000-ddddddd", manifest: m("b3") },
  ];
  it("the before-migrate backup of the oldest newer release that took one", () =>
    expect(restoreCandidate("main", releases, "20261201-000000-aaaaaaa")).toEqual({ release: "20261203-000000-ccccccc", backup: "b2" }));
  it("none after the newest", () => expect(restoreCandidate("main", releases, "20261204-000000-ddddddd")).toBeNull());
});

describe("loss", () => {
  it("rows written since, tables created or gone", () => {
    expect(lossLines({ items: 3, gone: 2 }, { items: 5, fresh: 1 })).toEqual([
      "    fresh: table created since (1 rows) — dropped by the restore",
      "    gone: table gone now (2 rows in the backup) — comes back",
      "    items: 5 rows now, 3 in the backup (2 written since are lost)",
    ]);
  });
  it("parses table<TAB>rows and skips anything else", () => expect(parseTableRows("items\t4\nbad line\n$(x)\tnope\n")).toEqual({ items: 4 }));
});
