/** Deploy windows: the evaluator across DST changes in Europe/Berlin and America/New_York, with fixed instants. */
import { describe, expect, it } from "vitest";
import type { EnvironmentSpec } from "../../../src/config/resolve-hosts.js";
import { resolveWindows, type Windows } from "../../../src/config/resolve-windows.js";
import { windowsSchema } from "../../../src/config/schema/windows.js";
import { formatZoned, parseLocal, zonedToUtc } from "../../../src/config/zoned.js";
import { evaluateWindows } from "../../../src/plan/windows.js";

const windows = (raw: unknown): Windows => resolveWindows({ windows: windowsSchema.parse(raw) } as EnvironmentSpec, "prod")!;
const at = (iso: string) => new Date(iso);
const OFFICE = { timezone: "Europe/Berlin", allow: [{ cron: "0 9 * * 1-5", duration: "8h", name: "office hours" }] };

describe("zoned time", () => {
  it("reads a wall time in its zone, on both sides of a change", () => {
    expect(zonedToUtc(2026, 3, 28, 9, 0, "Europe/Berlin").toISOString()).toBe("2026-03-28T08:00:00.000Z"); // CET
    expect(zonedToUtc(2026, 3, 30, 9, 0, "Europe/Berlin").toISOString()).toBe("2026-03-30T07:00:00.000Z"); // CEST
    expect(zonedToUtc(2026, 3, 9, 9, 0, "America/New_York").toISOString()).toBe("2026-03-09T13:00:00.000Z"); // EDT
  });
  it("a time skipped by spring-forward lands after the gap; an ambiguous fall-back time is its first occurrence", () => {
    expect(zonedToUtc(2026, 3, 29, 2, 30, "Europe/Berlin").toISOString()).toBe("2026-03-29T01:30:00.000Z"); // 03:30 CEST
    expect(zonedToUtc(2026, 10, 25, 2, 30, "Europe/Berlin").toISOString()).toBe("2026-10-25T00:30:00.000Z"); // 02:30 CEST, not CET
    expect(zonedToUtc(2026, 11, 1, 1, 30, "America/New_York").toISOString()).toBe("2026-11-01T05:30:00.000Z"); // 01:30 EDT
  });
  it("prints the offset in effect", () => {
    expect(formatZoned(at("2026-03-29T00:59:00Z"), "Europe/Berlin")).toBe("2026-03-29 01:59 Europe/Berlin (UTC+01:00)");
    expect(formatZoned(at("2026-03-29T01:00:00Z"), "Europe/Berlin")).toBe("2026-03-29 03:00 Europe/Berlin (UTC+02:00)");
    expect(formatZoned(at("2026-11-01T06:15:00Z"), "America/New_York")).toBe("2026-11-01 01:15 America/New_York (UTC-05:00)");
    expect(parseLocal("2026-02-30", "UTC")).toBeNull();
  });
});

describe("evaluateWindows", () => {
  it("no rules at all, or no allow rules: allowed", () => {
    expect(evaluateWindows(windows({}), at("2026-12-24T03:00:00Z"), false).ok).toBe(true);
    const v = evaluateWindows(windows({ deny: [{ cron: "0 0 1 1 *", duration: "1d", name: "new year" }] }), at("2026-12-24T03:00:00Z"), true);
    expect(v.ok).toBe(true);
    expect(v.line).toContain("no window rule blocks it");
  });

  it("inside office hours: allowed, naming the window and its end", () => {
    const v = evaluateWindows(windows(OFFICE), at("2026-03-30T07:30:00Z"), false); // Mon 09:30 CEST
    expect(v.ok).toBe(true);
    expect(v.rule).toMatchObject({ name: "office hours", kind: "allow" });
    expect(v.line).toContain('inside allow "office hours" (cron 0 9 * * 1-5 for 8h, Europe/Berlin) until 2026-03-30 17:00 Europe/Berlin (UTC+02:00)');
  });

  it("Berlin spring-forward weekend: refused Friday evening, next allowed Monday 09:00 CEST (07:00 UTC, not 08:00)", () => {
    const v = evaluateWindows(windows(OFFICE), at("2026-03-27T16:30:00Z"), false); // Fri 17:30 CET
    expect(v.ok).toBe(false);
    expect(v.next?.toISOString()).toBe("2026-03-30T07:00:00.000Z");
    expect(v.line).toContain("outside every allow window");
    expect(v.line).toContain("next allowed 2026-03-30 09:00 Europe/Berlin (UTC+02:00) = 2026-03-30 07:00 UTC");
    // 16:59 CET on Friday is still inside, 17:00 is not (the end is exclusive)
    expect(evaluateWindows(windows(OFFICE), at("2026-03-27T15:59:00Z"), false).ok).toBe(true);
    expect(evaluateWindows(windows(OFFICE), at("2026-03-27T16:00:00Z"), false).ok).toBe(false);
  });

  it("Berlin spring-forward night: a 02:30 start that does not exist opens right after the gap", () => {
    const w = windows({ timezone: "Europe/Berlin", allow: [{ cron: "30 2 * * *", duration: "1h", name: "night" }] });
    const v = evaluateWindows(w, at("2026-03-29T00:45:00Z"), false); // 01:45 CET
    expect(v.ok).toBe(false);
    expect(v.next?.toISOString()).toBe("2026-03-29T01:00:00.000Z"); // 03:00 CEST
    expect(evaluateWindows(w, at("2026-03-29T01:30:00Z"), false).ok).toBe(true);
    expect(evaluateWindows(w, at("2026-03-29T02:00:00Z"), false).ok).toBe(false);
  });

  it("Berlin fall-back night: an 8h window from 22:00 CEST lasts 8 elapsed hours (to 05:00 CET)", () => {
    const w = windows({ timezone: "Europe/Berlin", allow: [{ cron: "0 22 * * *", duration: "8h", name: "after hours" }] });
    expect(evaluateWindows(w, at("2026-10-25T03:30:00Z"), false).ok).toBe(true); // 04:30 CET
    const v = evaluateWindows(w, at("2026-10-25T04:30:00Z"), false); // 05:30 CET
    expect(v.ok).toBe(false);
    expect(v.next?.toISOString()).toBe("2026-10-25T21:00:00.000Z"); // 22:00 CET
    expect(v.line).toContain("next allowed 2026-10-25 22:00 Europe/Berlin (UTC+01:00) = 2026-10-25 21:00 UTC");
  });

  it("New York spring-forward: a nightly deny from 01:00 EST for 3h ends 05:00 EDT", () => {
    const w = windows({ timezone: "America/New_York", deny: [{ cron: "0 1 * * *", duration: "3h", name: "nightly backup", reason: "dumps run" }] });
    const v = evaluateWindows(w, at("2026-03-08T08:30:00Z"), false); // 04:30 EDT
    expect(v.ok).toBe(false);
    expect(v.rule).toMatchObject({ name: "nightly backup", kind: "deny", reason: "dumps run" });
    expect(v.next?.toISOString()).toBe("2026-03-08T09:00:00.000Z");
    expect(v.line).toContain("until 2026-03-08 05:00 America/New_York (UTC-04:00) = 2026-03-08 09:00 UTC: dumps run");
    // the day after, 01:00 EDT is 05:00 UTC
    expect(evaluateWindows(w, at("2026-03-09T04:59:00Z"), false).ok).toBe(true);
    expect(evaluateWindows(w, at("2026-03-09T05:00:00Z"), false).ok).toBe(false);
  });

  it("New York fall-back: a 01:30 window opens once (01:30 EDT) and lasts one elapsed hour", () => {
    const w = windows({ timezone: "America/New_York", allow: [{ cron: "30 1 * * *", duration: "1h" }] });
    expect(evaluateWindows(w, at("2026-11-01T05:45:00Z"), false).ok).toBe(true); // 01:45 EDT
    expect(evaluateWindows(w, at("2026-11-01T06:15:00Z"), false).ok).toBe(true); // 01:15 EST, same window
    const v = evaluateWindows(w, at("2026-11-01T06:45:00Z"), false); // 01:45 EST: the window closed, no second start
    expect(v.ok).toBe(false);
    expect(v.next?.toISOString()).toBe("2026-11-02T06:30:00.000Z");
  });

  it("a freeze with explicit dates wins over office hours; the next time is the first window after it", () => {
    const w = windows({ ...OFFICE, deny: [{ from: "2026-12-20", until: "2027-01-03", name: "christmas freeze", reason: "staff away" }] });
    const v = evaluateWindows(w, at("2026-12-22T09:00:00Z"), false); // a Tuesday, 10:00 CET, inside office hours
    expect(v.ok).toBe(false);
    expect(v.rule).toMatchObject({ name: "christmas freeze", kind: "deny" });
    expect(v.line).toContain('inside deny "christmas freeze" (2026-12-20 → 2027-01-03, Europe/Berlin) until 2027-01-04 00:00 Europe/Berlin (UTC+01:00)');
    expect(v.line).toContain("staff away");
    expect(v.next?.toISOString()).toBe("2027-01-04T08:00:00.000Z"); // Monday 09:00 CET
    expect(evaluateWindows(w, at("2026-12-18T09:00:00Z"), false).ok).toBe(true);
  });

  it("downtime rules apply only to a deploy with downtime, on top of the others", () => {
    const w = windows({
      ...OFFICE,
      allow: [{ cron: "0 7 * * *", duration: "15h", name: "staffed" }],
      downtime: { deny: [{ cron: "0 8 * * 1-5", duration: "10h", name: "live teaching", reason: "classes are online" }] },
    });
    const tue = at("2026-12-01T10:00:00Z"); // Tuesday 11:00 CET
    expect(evaluateWindows(w, tue, false).ok).toBe(true);
    const v = evaluateWindows(w, tue, true);
    expect(v.ok).toBe(false);
    expect(v.line).toContain('a deploy with downtime is refused, inside downtime deny "live teaching"');
    expect(v.next?.toISOString()).toBe("2026-12-01T17:00:00.000Z"); // 18:00 CET, still inside "staffed"
    // after 22:00 CET neither applies: the base allow closes, the next time is 07:00 the day after
    const late = evaluateWindows(w, at("2026-12-01T21:30:00Z"), true);
    expect(late.ok).toBe(false);
    expect(late.next?.toISOString()).toBe("2026-12-02T06:00:00.000Z");
  });

  it("a downtime allow narrows a deploy with downtime to its windows", () => {
    const w = windows({ timezone: "Europe/Berlin", downtime: { allow: [{ cron: "0 22 * * *", duration: "4h", name: "after teaching" }] } });
    expect(evaluateWindows(w, at("2026-12-01T10:00:00Z"), false).ok).toBe(true);
    const v = evaluateWindows(w, at("2026-12-01T10:00:00Z"), true);
    expect(v.ok).toBe(false);
    expect(v.line).toContain("outside every downtime allow window");
    expect(v.next?.toISOString()).toBe("2026-12-01T21:00:00.000Z");
  });

  it("a rule's own timezone: the next time is printed in it and in UTC; a dated `until` time is exclusive", () => {
    const w = windows({
      timezone: "Europe/Berlin",
      allow: [{ cron: "0 9 * * 1-5", duration: "8h", name: "new york office", timezone: "America/New_York" }],
      deny: [{ from: "2026-12-01 14:00", until: "2026-12-01 15:00", name: "release call" }],
    });
    const v = evaluateWindows(w, at("2026-12-01T12:00:00Z"), false); // 07:00 in New York
    expect(v.ok).toBe(false);
    expect(v.line).toContain("2026-12-01 13:00 Europe/Berlin (UTC+01:00) = 2026-12-01 12:00 UTC: a deploy is refused");
    expect(v.line).toContain("next allowed 2026-12-01 09:00 America/New_York (UTC-05:00) = 2026-12-01 14:00 UTC");
    // 14:00 UTC is 15:00 Berlin: the release call (14:00-15:00 Berlin) has just ended
    expect(v.next?.toISOString()).toBe("2026-12-01T14:00:00.000Z");
    expect(evaluateWindows(w, at("2026-12-01T13:59:00Z"), false).rule).toMatchObject({ name: "release call" });
  });

  it("never allowed within a year: says so", () => {
    const w = windows({ deny: [{ from: "2026-01-01", until: "2026-12-31", name: "long" }] });
    expect(evaluateWindows(w, at("2026-06-01T00:00:00Z"), false).line).toContain("next allowed 2027-01-01 00:00 UTC");
    const longer = windows({ deny: [{ from: "2026-01-01", until: "2028-01-01", name: "longer" }] });
    expect(evaluateWindows(longer, at("2026-06-01T00:00:00Z"), false).line).toContain("next allowed not within a year");
    const never = windows({ allow: [{ from: "2020-01-01", duration: "1h" }] });
    expect(evaluateWindows(never, at("2026-06-01T00:00:00Z"), false).line).toContain("next allowed not within a year");
  });
});

describe("windows schema", () => {
  const err = (raw: unknown) =>
    windowsSchema
      .safeParse(raw)
      .error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`)
      .join("; ") ?? "";
  it("rejects bad zones, crons, durations and dates, and a deny without a name", () => {
    expect(err({ timezone: "Mars/Olympus" })).toContain("timezone: expected an IANA timezone");
    expect(err({ allow: [{ cron: "0 9 * *", duration: "8h" }] })).toContain("five-field cron");
    expect(err({ allow: [{ cron: "0 25 * * *", duration: "8h" }] })).toContain("five-field cron");
    expect(err({ allow: [{ cron: "0 9 * * *", duration: "8 hours" }] })).toContain("duration like 8h");
    expect(err({ deny: [{ cron: "0 9 * * *", duration: "1h" }] })).toContain("deny.0.name");
    expect(err({ allow: [{ cron: "0 9 * * *" }] })).toContain("needs `duration`");
    expect(err({ allow: [{ name: "x" }] })).toContain("a rule needs `cron` and `duration`");
    expect(err({ deny: [{ from: "2026-12-20", until: "2027-01-03", duration: "1h", name: "x" }] })).toContain("exactly one of `until` or `duration`");
    expect(err({ deny: [{ from: "2026-13-01", until: "2027-01-03", name: "x" }] })).toContain("expected a local date");
    expect(err(OFFICE)).toBe("");
  });
  it("until before from is refused when resolved", () => {
    expect(() => windows({ deny: [{ from: "2026-12-20 10:00", until: "2026-12-20 09:00", name: "x" }] })).toThrow(/deny\[0\]: `until`/);
  });
});
