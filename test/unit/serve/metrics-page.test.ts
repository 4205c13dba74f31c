/** metricsBody: four SVG charts per environment, export links, and every name escaped (only computed path data is raw). */
import { describe, expect, it } from "vitest";
import { duration, metricsBody } from "../../../src/serve/pages/metrics.js";
import { computeMetrics } from "../../../src/serve/metrics.js";
import type { PeriodRun } from "../../../src/store/store.js";

const now = new Date("2026-03-11T12:00:00.000Z");
const run = (id: number, verb: string, at: string, outcome: string, commitTime: string | null = null): PeriodRun => ({
  id,
  verb,
  env: "x",
  releaseId: `r${id}`,
  commit: null,
  by: "ada",
  startedAt: at,
  finishedAt: new Date(Date.parse(at) + 60_000).toISOString(),
  outcome,
  durationMs: 60_000,
  logPath: null,
  commitTime,
});
const runs = [
  run(1, "deploy", "2026-03-05T10:00:00.000Z", "ok", "2026-03-05T08:00:00.000Z"),
  run(2, "deploy", "2026-03-06T10:00:00.000Z", "failed"),
  run(3, "deploy", "2026-03-08T10:00:00.000Z", "ok", "2026-03-07T10:00:00.000Z"),
];

describe("metricsBody", () => {
  it("draws the four figures as inline SVG per environment, with CSV and JSON links", () => {
    const out = metricsBody([computeMetrics("prod", runs, { now, days: 7, bucket: "day" }), computeMetrics("qa", [], { now, days: 7, bucket: "day" })]).text;
    expect(out.match(/<svg /g)).toHaveLength(8);
    for (const t of ["Deploy frequency", "Lead time for changes", "Change failure rate", "Time to restore"]) expect(out).toContain(t);
    expect(out).toContain('href="/api/environments/prod/metrics?days=7&amp;bucket=day&amp;format=csv"');
    expect(out).toContain('href="/api/environments/qa/metrics?days=7&amp;bucket=day&amp;format=json"');
    expect(out).toContain("2 successful deploys");
    expect(out).toContain("33% (1 of 3 deploys)");
    expect(out).toMatch(/<path d="M[\d. ]+L[\d. ]+"/);
    expect(out).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(metricsBody([]).text).toContain("No environments");
  });

  it("escapes hostile environment names everywhere they appear (text, attributes, links)", () => {
    const evil = `<img src=x onerror=alert(1)>"'&\``;
    const out = metricsBody([computeMetrics(evil, runs, { now, days: 7, bucket: "week" })]).text;
    expect(out).not.toContain("<img");
    expect(out).not.toMatch(/"'&`/);
    expect(out).toContain("&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;&#96;");
    expect(out).toContain(`/api/environments/${encodeURIComponent(evil).replace(/'/g, "&#39;")}/metrics`);
  });

  it("durations read at a glance", () => {
    expect([duration(null), duration(30_000), duration(5 * 60_000), duration(3 * 3_600_000), duration(72 * 3_600_000)]).toEqual([
      "–",
      "30 s",
      "5 min",
      "3.0 h",
      "3.0 d",
    ]);
  });
});
