/** The DORA figures from hand-built run lists: buckets in UTC, rollbacks (chains, targets), failures, lead time with and without commit times. */
import { describe, expect, it } from "vitest";
import { bucketStart, computeMetrics, csvField, metricsCsv, metricsPeriod } from "../../../src/serve/metrics.js";
import type { PeriodRun } from "../../../src/store/store.js";

const H = 3_600_000;
let nextId = 1;
/** A run that started at `at` (ISO) and took `mins` minutes. */
function r(verb: string, at: string, outcome: string | null, o: { release?: string; commitTime?: string; mins?: number } = {}): PeriodRun {
  const start = Date.parse(at);
  const fin = outcome === null ? null : new Date(start + (o.mins ?? 1) * 60_000).toISOString();
  return {
    id: nextId++,
    verb,
    env: "prod",
    releaseId: o.release ?? null,
    commit: null,
    by: "ada",
    startedAt: new Date(start).toISOString(),
    finishedAt: fin,
    outcome,
    durationMs: null,
    logPath: null,
    commitTime: o.commitTime ?? null,
  };
}

// A Wednesday noon, UTC.
const now = new Date("2026-03-11T12:00:00.000Z");
const day = (runs: PeriodRun[], days = 7) => computeMetrics("prod", runs, { now, days, bucket: "day" });
const week = (runs: PeriodRun[], days = 28) => computeMetrics("prod", runs, { now, days, bucket: "week" });

describe("buckets", () => {
  it("days start at UTC midnight, weeks on Monday 00:00 UTC, whatever the process's timezone", () => {
    expect(new Date(bucketStart(Date.parse("2026-03-11T23:59:59.999Z"), "day")).toISOString()).toBe("2026-03-11T00:00:00.000Z");
    expect(new Date(bucketStart(Date.parse("2026-03-11T00:00:00.000Z"), "week")).toISOString()).toBe("2026-03-09T00:00:00.000Z");
    expect(new Date(bucketStart(Date.parse("2026-03-15T23:00:00.000Z"), "week")).toISOString()).toBe("2026-03-09T00:00:00.000Z");
    expect(new Date(bucketStart(Date.parse("2026-03-16T00:00:00.000Z"), "week")).toISOString()).toBe("2026-03-16T00:00:00.000Z");
    expect(metricsPeriod(now, 7, "day").from.toISOString()).toBe("2026-03-04T00:00:00.000Z");
  });

  it("no deploys: every bucket is there, with zeros and nulls", () => {
    const m = day([]);
    expect(m.buckets).toHaveLength(8);
    expect(m.buckets[0]!.start).toBe("2026-03-04T00:00:00.000Z");
    expect(m.buckets.at(-1)).toMatchObject({ start: "2026-03-11T00:00:00.000Z", end: now.toISOString() });
    expect(m.totals).toEqual({
      deploys: 0,
      successfulDeploys: 0,
      failedDeploys: 0,
      failedChanges: 0,
      changeFailureRate: null,
      leadTime: { medianMs: null, p90Ms: null, known: 0, unknown: 0 },
      timeToRestore: { medianMs: null, p90Ms: null, restored: 0, open: 0 },
    });
  });

  it("buckets with no deploys between busy ones stay empty; a run is counted where it finished", () => {
    const m = day([
      r("deploy", "2026-03-05T10:00:00Z", "ok"),
      r("deploy", "2026-03-07T23:59:30Z", "ok", { mins: 2 }),
      r("deploy", "2026-03-09T10:00:00Z", "ok"),
    ]);
    expect(m.buckets.map((b) => b.successfulDeploys)).toEqual([0, 1, 0, 0, 1, 1, 0, 0]);
    expect(m.buckets[2]!.changeFailureRate).toBeNull();
    expect(m.totals.successfulDeploys).toBe(3);
  });

  it("weeks: the last one ends now; runs before the period and still running are left out", () => {
    const m = week([r("deploy", "2026-02-01T10:00:00Z", "ok"), r("deploy", "2026-03-10T10:00:00Z", "ok"), r("deploy", "2026-03-11T11:00:00Z", null)]);
    expect(m.buckets.map((b) => b.start.slice(0, 10))).toEqual(["2026-02-09", "2026-02-16", "2026-02-23", "2026-03-02", "2026-03-09"]);
    expect(m.totals.deploys).toBe(1);
  });
});

describe("change failure rate and time to restore", () => {
  it("all deploys failed: rate 1; each restored by the first successful deploy after it, or open", () => {
    const m = day([r("deploy", "2026-03-05T10:00:00Z", "failed"), r("deploy", "2026-03-05T11:00:00Z", "failed"), r("deploy", "2026-03-05T13:00:00Z", "ok")]);
    expect(m.totals).toMatchObject({ deploys: 3, failedDeploys: 2, failedChanges: 2, changeFailureRate: 2 / 3 });
    // 10:01 → 13:01 and 11:01 → 13:01.
    expect(m.totals.timeToRestore).toEqual({ medianMs: 2 * H, p90Ms: 3 * H, restored: 2, open: 0 });
    const only = day([r("deploy", "2026-03-05T10:00:00Z", "failed"), r("deploy", "2026-03-06T10:00:00Z", "failed")]);
    expect(only.totals).toMatchObject({ changeFailureRate: 1, timeToRestore: { restored: 0, open: 2, medianMs: null } });
  });

  it("a rolled-back deploy is a failed change, restored when the rollback finished; the rollback is not a deploy", () => {
    const m = day([
      r("deploy", "2026-03-05T10:00:00Z", "ok", { release: "A" }),
      r("deploy", "2026-03-06T10:00:00Z", "ok", { release: "B" }),
      r("rollback", "2026-03-06T12:00:00Z", "ok", { release: "A", mins: 1 }),
    ]);
    expect(m.totals).toMatchObject({ deploys: 2, successfulDeploys: 2, failedChanges: 1, changeFailureRate: 0.5 });
    expect(m.totals.timeToRestore).toMatchObject({ medianMs: 2 * H, restored: 1 });
    // Counted in the bucket of the deploy, not of the rollback.
    expect(m.buckets[2]!.failedChanges).toBe(1);
  });

  it("a rollback chain undoes one deploy per step; a rollback to an older release undoes every newer one", () => {
    const deploys = [
      r("deploy", "2026-03-05T10:00:00Z", "ok", { release: "A" }),
      r("deploy", "2026-03-05T11:00:00Z", "ok", { release: "B" }),
      r("deploy", "2026-03-05T12:00:00Z", "ok", { release: "C" }),
    ];
    const chain = day([
      ...deploys,
      r("rollback", "2026-03-05T13:00:00Z", "ok", { release: "B" }),
      r("rollback", "2026-03-05T14:00:00Z", "ok", { release: "A" }),
    ]);
    expect(chain.totals).toMatchObject({ failedChanges: 2, changeFailureRate: 2 / 3, timeToRestore: { restored: 2, medianMs: 1 * H, p90Ms: 3 * H } });
    const jump = day([...deploys, r("rollback", "2026-03-05T13:00:00Z", "ok", { release: "A" })]);
    expect(jump.totals).toMatchObject({ failedChanges: 2, timeToRestore: { medianMs: 1 * H, p90Ms: 2 * H } });
    // Back to a release from before the period: everything live in it was undone.
    const before = day([...deploys, r("rollback", "2026-03-05T13:00:00Z", "ok", { release: "OLD" })]);
    expect(before.totals.failedChanges).toBe(3);
  });

  it("a failed rollback undoes nothing; the next successful one does; a redeploy after a rollback starts fresh", () => {
    const m = day([
      r("deploy", "2026-03-05T10:00:00Z", "ok", { release: "A" }),
      r("deploy", "2026-03-05T11:00:00Z", "ok", { release: "B" }),
      r("rollback", "2026-03-05T12:00:00Z", "failed", { release: "A" }),
      r("rollback", "2026-03-05T13:00:00Z", "ok", { release: "A" }),
      r("deploy", "2026-03-05T14:00:00Z", "ok", { release: "C" }),
    ]);
    expect(m.totals).toMatchObject({ deploys: 3, failedChanges: 1, timeToRestore: { medianMs: 2 * H, restored: 1, open: 0 } });
  });

  it("a failed deploy is restored by a rollback too; components are separate streams; promote counts as a deploy", () => {
    const m = day([
      r("deploy web", "2026-03-05T10:00:00Z", "ok", { release: "W1" }),
      r("deploy api", "2026-03-05T10:30:00Z", "ok", { release: "P1" }),
      r("rollback web", "2026-03-05T11:00:00Z", "ok", { release: "W0" }),
      r("promote", "2026-03-06T10:00:00Z", "failed"),
      r("rollback", "2026-03-06T10:30:00Z", "ok", { release: "X" }),
    ]);
    expect(m.totals).toMatchObject({ deploys: 3, failedChanges: 2, failedDeploys: 1 });
    expect(m.totals.timeToRestore).toMatchObject({ restored: 2, medianMs: 0.5 * H, p90Ms: 1 * H });
  });
});

describe("lead time", () => {
  it("finish − commit time for successful deploys; without a recorded commit time it is unknown", () => {
    const m = day([
      r("deploy", "2026-03-05T10:00:00Z", "ok", { commitTime: "2026-03-05T09:01:00Z" }),
      r("deploy", "2026-03-05T11:00:00Z", "ok", { commitTime: "2026-03-04T11:01:00Z" }),
      r("deploy", "2026-03-05T12:00:00Z", "ok"),
      r("deploy", "2026-03-05T13:00:00Z", "failed", { commitTime: "2026-03-05T12:00:00Z" }),
      // A commit clock ahead of ours: 0, never negative.
      r("deploy", "2026-03-05T14:00:00Z", "ok", { commitTime: "2026-03-05T15:00:00Z" }),
    ]);
    expect(m.totals.leadTime).toEqual({ medianMs: 1 * H, p90Ms: 24 * H, known: 3, unknown: 1 });
    expect(m.buckets[1]!.leadTime.known).toBe(3);
  });
});

describe("CSV", () => {
  it("a header row, one row per bucket, CRLF, empty fields for unknowns, RFC 4180 quoting", () => {
    const m = computeMetrics('we,"ird', [r("deploy", "2026-03-10T10:00:00Z", "failed")], { now, days: 1, bucket: "day" });
    const lines = metricsCsv(m).split("\r\n");
    expect(lines[0]).toBe(
      "env,bucket_start,bucket_end,deploys,successful_deploys,failed_deploys,failed_changes,change_failure_rate,lead_time_median_ms,lead_time_p90_ms,lead_time_known,lead_time_unknown,time_to_restore_median_ms,time_to_restore_p90_ms,restored,open",
    );
    expect(lines[1]).toBe('"we,""ird",2026-03-10T00:00:00.000Z,2026-03-11T00:00:00.000Z,1,0,1,1,1,,,0,0,,,0,1');
    expect(lines).toHaveLength(4);
    expect(lines.at(-1)).toBe("");
    expect(csvField("a\nb")).toBe('"a\nb"');
    expect(csvField(null)).toBe("");
  });
});
