/**
 * The four DORA figures of one environment, per UTC day or week, from the runs the state store
 * recorded. Pure: the runs and the clock come in, figures go out (the route, the CSV and the page
 * all read the same result). Definitions (also in the README):
 *
 * - A deploy is a finished run of `deploy` or `promote` (with or without a component); it succeeded
 *   when its outcome is "ok", otherwise it failed. Runs still going (no outcome) are left out.
 * - A rollback undoes deploys when it succeeded: every successful deploy, still live, newer than the
 *   one that made the release it went back to (all live ones when that release was deployed before
 *   the period). A failed rollback changed nothing and undoes nothing. Deploys and rollbacks are
 *   matched within one component (`deploy web` with `rollback web`).
 * - Deploy frequency: successful deploys that finished in the bucket.
 * - Lead time for changes: for each successful deploy that finished in the bucket and whose run
 *   recorded its commit time (run:start `commitTime`), finish − commit time (never below 0);
 *   median and p90 (nearest rank). Deploys recorded without it are counted as `unknown`.
 * - Change failure rate: failed changes / deploys that finished in the bucket, where a failed change
 *   is a deploy that failed or a successful deploy a rollback later undid; null without deploys.
 * - Time to restore: for each failed change that finished in the bucket, from its finish to the
 *   restore: the rollback that undid it, or for a failed deploy the next successful deploy or
 *   rollback to finish; median and p90. Failed changes not restored by the end are counted as `open`.
 *
 * Buckets are UTC days, or ISO weeks (Monday 00:00 UTC); the period is the buckets covering the last
 * `days` days up to now, so the first bucket is whole and the last one ends now.
 */

import type { PeriodRun } from "../store/store.js";

export type Bucket = "day" | "week";

/** The verbs whose runs the figures read (the store filters on them). */
export const METRIC_VERBS = ["deploy", "promote", "rollback"] as const;
const DEPLOY_VERBS = new Set(["deploy", "promote"]);

/** Median and p90 of some durations, in milliseconds (null: none). */
export interface Spread {
  medianMs: number | null;
  p90Ms: number | null;
}

export interface Figures {
  /** Deploys that finished (succeeded or failed). */
  deploys: number;
  /** Deploy frequency. */
  successfulDeploys: number;
  failedDeploys: number;
  /** Failed deploys plus successful deploys later rolled back. */
  failedChanges: number;
  /** failedChanges / deploys; null without deploys. */
  changeFailureRate: number | null;
  leadTime: Spread & { known: number; unknown: number };
  timeToRestore: Spread & { restored: number; open: number };
}

export interface BucketFigures extends Figures {
  /** UTC ISO start (inclusive) and end (exclusive; the last bucket ends now). */
  start: string;
  end: string;
}

export interface EnvironmentMetrics {
  env: string;
  bucket: Bucket;
  days: number;
  from: string;
  to: string;
  totals: Figures;
  buckets: BucketFigures[];
}

const DAY_MS = 86_400_000;

/** The start of the UTC day or ISO week (Monday) holding `t`. */
export function bucketStart(t: number, bucket: Bucket): number {
  const day = Math.floor(t / DAY_MS) * DAY_MS;
  if (bucket === "day") return day;
  const weekday = (new Date(day).getUTCDay() + 6) % 7; // Monday = 0
  return day - weekday * DAY_MS;
}

/** [from, to) of the period: whole buckets covering the last `days` days up to `now`. */
export function metricsPeriod(now: Date, days: number, bucket: Bucket): { from: Date; to: Date } {
  return { from: new Date(bucketStart(now.getTime() - days * DAY_MS, bucket)), to: now };
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function spread(values: number[]): Spread {
  const s = [...values].sort((a, b) => a - b);
  return { medianMs: percentile(s, 50), p90Ms: percentile(s, 90) };
}

/** One deploy as the figures see it. */
interface Change {
  finishedAt: number;
  ok: boolean;
  releaseId: string | null;
  leadMs: number | null;
  failed: boolean;
  restoredAt: number | null;
}

const time = (iso: string | null): number | null => {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
};

/** Walk the runs in the order they ran, marking failed changes and their restores. */
function classify(runs: readonly PeriodRun[]): Change[] {
  const changes: Change[] = [];
  /** Per component: successful deploys still live (newest last), and failed deploys waiting for a restore. */
  const streams = new Map<string, { live: Change[]; waiting: Change[] }>();
  const ordered = runs
    .map((r) => ({ r, finished: time(r.finishedAt), started: time(r.startedAt) ?? 0 }))
    .filter((x) => x.finished !== null && x.r.outcome !== null)
    .sort((a, b) => a.started - b.started || a.r.id - b.r.id);
  for (const { r, finished } of ordered) {
    const [word = "", ...rest] = r.verb.split(" ");
    const isDeploy = DEPLOY_VERBS.has(word);
    if (!isDeploy && word !== "rollback") continue;
    const key = rest.join(" ");
    let s = streams.get(key);
    if (!s) streams.set(key, (s = { live: [], waiting: [] }));
    const ok = r.outcome === "ok";
    const at = finished!;
    if (isDeploy) {
      const committed = time(r.commitTime);
      const c: Change = {
        finishedAt: at,
        ok,
        releaseId: r.releaseId,
        leadMs: ok && committed !== null ? Math.max(0, at - committed) : null,
        failed: !ok,
        restoredAt: null,
      };
      changes.push(c);
      if (ok) {
        for (const w of s.waiting) w.restoredAt = at;
        s.waiting = [];
        s.live.push(c);
      } else s.waiting.push(c);
      continue;
    }
    if (!ok) continue;
    // A successful rollback: what it went back to stays live; everything newer is undone.
    const target = s.live.findIndex((c) => c.releaseId !== null && c.releaseId === r.releaseId);
    for (const c of s.live.splice(target + 1)) {
      c.failed = true;
      c.restoredAt = at;
    }
    for (const w of s.waiting) w.restoredAt = at;
    s.waiting = [];
  }
  return changes;
}

function figures(changes: readonly Change[]): Figures {
  const ok = changes.filter((c) => c.ok);
  const failed = changes.filter((c) => c.failed);
  const leads = ok.flatMap((c) => (c.leadMs === null ? [] : [c.leadMs]));
  const restores = failed.flatMap((c) => (c.restoredAt === null ? [] : [c.restoredAt - c.finishedAt]));
  return {
    deploys: changes.length,
    successfulDeploys: ok.length,
    failedDeploys: changes.length - ok.length,
    failedChanges: failed.length,
    changeFailureRate: changes.length ? failed.length / changes.length : null,
    leadTime: { ...spread(leads), known: leads.length, unknown: ok.length - leads.length },
    timeToRestore: { ...spread(restores), restored: restores.length, open: failed.length - restores.length },
  };
}

/** The step from one bucket start to the next. */
const nextBucket = (t: number, bucket: Bucket) => t + (bucket === "day" ? DAY_MS : 7 * DAY_MS);

/** The figures of `env` over the period ending `now`, from its runs in that period (any order, any verbs). */
export function computeMetrics(env: string, runs: readonly PeriodRun[], o: { now: Date; days: number; bucket: Bucket }): EnvironmentMetrics {
  const { from, to } = metricsPeriod(o.now, o.days, o.bucket);
  const f = from.getTime();
  const t = to.getTime();
  const changes = classify(runs).filter((c) => c.finishedAt >= f && c.finishedAt < t);
  const buckets: BucketFigures[] = [];
  for (let s = f; s < t; s = nextBucket(s, o.bucket)) {
    const e = Math.min(nextBucket(s, o.bucket), t);
    buckets.push({
      start: new Date(s).toISOString(),
      end: new Date(e).toISOString(),
      ...figures(changes.filter((c) => c.finishedAt >= s && c.finishedAt < e)),
    });
  }
  return { env, bucket: o.bucket, days: o.days, from: from.toISOString(), to: to.toISOString(), totals: figures(changes), buckets };
}

const CSV_COLUMNS = [
  "env",
  "bucket_start",
  "bucket_end",
  "deploys",
  "successful_deploys",
  "failed_deploys",
  "failed_changes",
  "change_failure_rate",
  "lead_time_median_ms",
  "lead_time_p90_ms",
  "lead_time_known",
  "lead_time_unknown",
  "time_to_restore_median_ms",
  "time_to_restore_p90_ms",
  "restored",
  "open",
] as const;

/** One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break; quotes doubled. */
export function csvField(v: string | number | null): string {
  if (v === null) return "";
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The buckets as CSV (RFC 4180: a header row, CRLF line ends); empty fields for unknown figures. */
export function metricsCsv(m: EnvironmentMetrics): string {
  const rows = m.buckets.map((b) => [
    m.env,
    b.start,
    b.end,
    b.deploys,
    b.successfulDeploys,
    b.failedDeploys,
    b.failedChanges,
    b.changeFailureRate === null ? null : Number(b.changeFailureRate.toFixed(4)),
    b.leadTime.medianMs,
    b.leadTime.p90Ms,
    b.leadTime.known,
    b.leadTime.unknown,
    b.timeToRestore.medianMs,
    b.timeToRestore.p90Ms,
    b.timeToRestore.restored,
    b.timeToRestore.open,
  ]);
  return [[...CSV_COLUMNS], ...rows].map((r) => `${r.map(csvField).join(",")}\r\n`).join("");
}
