/** Strict parsing of what a database host sends back about backups, and the retention rule. */
import { describe, expect, it } from "vitest";
import { compareTables, parseBackupListing, parseBackupMeta, parseDumpStats, planRetention, type BackupMeta } from "../../../src/plan/db-input.js";

const H = (c: string) => c.repeat(64);
const meta = (id: string, createdAt: string, over: Partial<BackupMeta> = {}): BackupMeta => ({
  id,
  db: "main",
  engine: "postgres",
  database: "appdb",
  host: "db1",
  createdAt,
  by: "ada@ctl",
  release: null,
  reason: "manual",
  note: null,
  file: `${id}.sql.gz`,
  size: 10,
  sha256: H("a"),
  encrypted: false,
  tables: { "public.t": { rows: 2, checksum: H("b") } },
  ...over,
});
const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("parseDumpStats", () => {
  it("reads tables with their checksum line, the file line, non-InnoDB warnings", () => {
    const s = parseDumpStats(["FILE\t123\t" + H("c"), 'T\t2\tpublic."my table"', H("d"), "W\tlegacy\tMyISAM", ""]);
    expect(s).toEqual({
      tables: { 'public."my table"': { rows: 2, checksum: H("d") } },
      file: { size: 123, sha256: H("c") },
      nonInnodb: [{ table: "legacy", engine: "MyISAM" }],
      problems: [],
    });
  });
  it("a table line without its checksum, or any other line, is a problem, not data", () => {
    const s = parseDumpStats(["T\t2\tt", "T\t1\tu", "zz", "rm -rf /", "FILE\t-1\tx"]);
    expect(s.tables).toEqual({});
    expect(s.problems).toHaveLength(5);
    expect(s.file).toBeUndefined();
  });
  it("a table seen twice is counted once: rows summed", () => {
    const s = parseDumpStats(["T\t2\tt", H("1"), "T\t3\tt", H("2")]);
    expect(s.tables.t!.rows).toBe(5);
  });
});

describe("parseBackupMeta", () => {
  it("accepts what takeBackup writes and refuses bad ids, reasons and checksums", () => {
    const m = meta("20261202-141500-3f9a", "2026-12-02T14:15:00.000Z");
    expect(parseBackupMeta(JSON.stringify(m))).toEqual({ ok: true, value: m });
    expect(parseBackupMeta(JSON.stringify({ ...m, id: "../x" }))).toMatchObject({ ok: false, problem: expect.stringMatching(/^id: expected a backup id/) });
    expect(parseBackupMeta(JSON.stringify({ ...m, reason: "x; rm" }))).toMatchObject({ ok: false });
    expect(parseBackupMeta(JSON.stringify({ ...m, sha256: "abc" }))).toMatchObject({ ok: false });
    expect(parseBackupMeta(JSON.stringify({ ...m, extra: 1 }))).toMatchObject({ ok: false });
    expect(parseBackupMeta("{not json")).toMatchObject({ ok: false, problem: expect.stringMatching(/not JSON/) });
  });
});

describe("parseBackupListing", () => {
  const a = meta("20261202-141500-3f9a", "2026-12-02T14:15:00.000Z");
  const b = meta("20261201-090000-0001", "2026-12-01T09:00:00.000Z");
  it("complete backups newest last; a dump without metadata is incomplete; malformed entries are warnings", () => {
    const out = [
      `M\t${a.id}.json\t${b64(JSON.stringify(a))}`,
      `F\t${a.id}.sql.gz\t10`,
      `M\t${b.id}.json\t${b64(JSON.stringify(b))}`,
      `F\t${b.id}.sql.gz\t10`,
      "F\t20261203-000000-beef.sql.gz\t99",
      `M\t20261204-000000-0002.json\t${b64("{broken")}`,
      "F\tnotes.txt\t5",
      "F\t$(reboot).sql.gz\t1",
      "garbage",
      "",
    ].join("\n");
    const r = parseBackupListing(out);
    expect(r.backups.map((x) => x.id)).toEqual([b.id, a.id]);
    expect(r.incomplete).toEqual([{ id: "20261203-000000-beef", file: "20261203-000000-beef.sql.gz", size: 99 }]);
    expect(r.warnings.join("\n")).toMatch(/20261204-000000-0002: metadata ignored: not JSON/);
    expect(r.warnings.join("\n")).toMatch(/unexpected entry "notes.txt"/);
    expect(r.warnings.join("\n")).toMatch(/20261203-000000-beef is incomplete/);
    expect(r.warnings).toHaveLength(5);
  });
  it("metadata naming another id, and a metadata file whose dump is gone, are reported", () => {
    const r = parseBackupListing([`M\t20261205-000000-0003.json\t${b64(JSON.stringify(a))}`, `M\t${a.id}.json\t${b64(JSON.stringify(a))}`].join("\n"));
    expect(r.warnings.join("\n")).toMatch(/names another backup/);
    expect(r.warnings.join("\n")).toMatch(/its file 20261202-141500-3f9a.sql.gz is missing/);
  });
});

describe("planRetention", () => {
  const now = Date.parse("2026-12-10T00:00:00Z");
  const day = (d: number) => new Date(now - d * 86_400_000).toISOString();
  const ids = ["20261101-000000-0001", "20261102-000000-0002", "20261103-000000-0003", "20261104-000000-0004"];
  const list = ids.map((id, i) => meta(id, day(40 - i)));
  it("keeps the newest `keep`, removes older ones past keep_days, oldest first", () => {
    expect(planRetention(list, 2, 30, now).map((b) => b.id)).toEqual(ids.slice(0, 2));
    expect(planRetention(list, 10, 30, now)).toEqual([]);
  });
  it("keeps young backups beyond keep", () => {
    const young = ids.map((id, i) => meta(id, day(3 - i)));
    expect(planRetention(young, 1, 30, now)).toEqual([]);
  });
  it("never removes a protected id", () => {
    expect(planRetention(list, 1, 30, now, [ids[0]!]).map((b) => b.id)).toEqual(ids.slice(1, 3));
  });
});

describe("compareTables", () => {
  it("a table differs by rows or checksum, or exists on one side only", () => {
    const r = compareTables(
      { a: { rows: 1, checksum: H("1") }, b: { rows: 2, checksum: H("2") }, c: { rows: 0, checksum: H("3") } },
      { a: { rows: 1, checksum: H("1") }, b: { rows: 2, checksum: H("9") }, d: { rows: 1, checksum: H("4") } },
    );
    expect(r.map((t) => [t.table, t.ok])).toEqual([
      ["a", true],
      ["b", false],
      ["c", false],
      ["d", false],
    ]);
  });
});
