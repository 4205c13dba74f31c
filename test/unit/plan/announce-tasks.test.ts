/** Pure parts of announcements and manual tasks: local times across DST, the two gates, strict record parsing. */
import { describe, expect, it } from "vitest";
import { listRecords, writeRecord } from "../../../src/commands/records.js";
import { pathsFor } from "../../../src/config/paths.js";
import { resolveAnnounce } from "../../../src/config/resolve-announce.js";
import type { Announcement } from "../../../src/plan/announce-input.js";
import { parseAnnouncements } from "../../../src/plan/announce-input.js";
import { announcementGate, formatLocal, parseLocalTime } from "../../../src/plan/announce.js";
import type { Task } from "../../../src/plan/tasks-input.js";
import { parseTasks } from "../../../src/plan/tasks-input.js";
import { afterTaskLines, tasksGate } from "../../../src/plan/tasks.js";

const ann = (over: Partial<Announcement>): Announcement => ({
  id: "a-000001",
  made: "2026-12-01T00:00:00.000Z",
  by: "alice@cm",
  start: "2026-12-04T22:00:00.000Z",
  durationMin: 45,
  timezone: "UTC",
  nature: "n",
  affected: "a",
  experience: "e",
  ...over,
});

describe("local times", () => {
  it("reads a wall-clock time in the zone, in winter, summer and across the spring-forward gap", () => {
    expect(parseLocalTime("2026-12-01 22:00", "Europe/London")?.toISOString()).toBe("2026-12-01T22:00:00.000Z");
    expect(parseLocalTime("2026-07-01 09:30", "Europe/London")?.toISOString()).toBe("2026-07-01T08:30:00.000Z");
    expect(parseLocalTime("2026-03-08 01:30", "America/New_York")?.toISOString()).toBe("2026-03-08T06:30:00.000Z");
    expect(parseLocalTime("2026-03-08 03:30", "America/New_York")?.toISOString()).toBe("2026-03-08T07:30:00.000Z");
    expect(parseLocalTime("2026-12-01T22:00", "Asia/Kolkata")?.toISOString()).toBe("2026-12-01T16:30:00.000Z");
    expect(formatLocal(new Date("2026-07-01T08:30:00Z"), "Europe/London")).toBe("2026-07-01 09:30 Europe/London");
    for (const bad of ["2026-02-31 10:00", "2026-12-01", "tomorrow", "2026-13-01 10:00", "2026-12-01 24:00"]) expect(parseLocalTime(bad, "UTC")).toBeNull();
  });
});

describe("announcement gate", () => {
  it("applies only where announce: is configured (defaults UTC, 72 h)", () => {
    expect(resolveAnnounce({})).toEqual({ timezone: "UTC", hours: 72, gate: false });
    expect(resolveAnnounce({ announce: { timezone: "Europe/London", hours: 48 } })).toEqual({ timezone: "Europe/London", hours: 48, gate: true });
  });
  const now = new Date("2026-12-04T22:10:00Z");
  it("passes with one made at least `hours` before that covers now", () => {
    const g = announcementGate([ann({ made: "2026-12-01T21:10:00.000Z" })], now, 72, "prod", "UTC");
    expect(g.ok).toBe(true);
    expect(g.line).toContain("made 2026-12-01 21:10 UTC (73 h ago, needs 72 h)");
  });
  it("says what is missing: none, too recent, not covering now (exactly at the end still covers)", () => {
    expect(announcementGate([], now, 72, "prod", "UTC")).toMatchObject({ ok: false, line: expect.stringContaining("there is no announcement") });
    const young = announcementGate([ann({ made: "2026-12-01T23:10:00.000Z" })], now, 72, "prod", "UTC");
    expect(young.ok).toBe(false);
    expect(young.line).toContain("too recent: made 2026-12-01 23:10 UTC (71 h before now), needs 72 h");
    expect(young.hint).toContain("slipway prod announce --start '2026-12-07 23:00'");
    const later = announcementGate([ann({ start: "2026-12-10T22:00:00.000Z", id: "a-000002" })], now, 72, "prod", "UTC");
    expect(later.line).toContain("no announcement covers now (2026-12-04 22:10 UTC); the next one, a-000002, starts 2026-12-10 22:00 UTC");
    expect(announcementGate([ann({})], new Date("2026-12-04T22:45:00Z"), 72, "prod", "UTC").ok).toBe(true);
    expect(announcementGate([ann({})], new Date("2026-12-04T22:45:01Z"), 72, "prod", "UTC").ok).toBe(false);
  });
});

describe("tasks gate", () => {
  const t = (over: Partial<Task>): Task => ({ id: "t-000001", text: "x", when: "before", made: "2026-12-01T00:00:00.000Z", by: "a", ...over });
  it("an open before task (no ref, this ref, or this commit) refuses; other refs and done tasks do not; after tasks pass and are printed", () => {
    const commit = "0123456789abcdef0123456789abcdef01234567";
    expect(
      tasksGate([t({ ref: "v2" }), t({ id: "t-2", done: { at: "2026-12-02T00:00:00Z", by: "b", note: "n", release: null } })], "main", commit, "prod"),
    ).toEqual([]);
    for (const ref of [undefined, "main", "0123456"]) expect(tasksGate([t({ ref })], "main", commit, "prod")[0]?.ok).toBe(false);
    const r = tasksGate([t({ id: "t-aaaaaa", when: "after", text: "Purge" })], "main", commit, "prod");
    expect(r).toMatchObject([{ gate: "tasks", ok: true }]);
    expect(afterTaskLines(r, "prod")).toEqual(['manual task after this deploy: t-aaaaaa "Purge" (then: slipway prod tasks done t-aaaaaa -m "note")']);
  });
});

describe("records", () => {
  it("parses strictly: wrong names, bad JSON, bad fields and a mismatched id are warnings", () => {
    const good = JSON.stringify(ann({ id: "a-abc123" }));
    const out = [`a-abc123.json\t${good}`, `../x.json\t${good}`, "a-bad.json\tnot json", `a-other.json\t${good}`, `a-f.json\t{"id":"a-f"}`].join("\n");
    const { records, warnings } = parseAnnouncements(out);
    expect(records.map((r) => r.id)).toEqual(["a-abc123"]);
    expect(warnings).toHaveLength(4);
    expect(parseTasks("").records).toEqual([]);
  });
  it("builders quote the record and refuse ids that are not plain names", () => {
    const p = pathsFor("/srv/app");
    expect(writeRecord(p, "tasks", "t-1", `{"text":"it's $(rm -rf /)"}`)).toContain(`'{"text":"it'\\''s $(rm -rf /)"}'`);
    expect(() => writeRecord(p, "tasks", "../x", "{}")).toThrow(/invalid record id/);
    expect(listRecords(p, "announcements")).toContain("/srv/app/.slipway/announcements/*.json");
  });
});
