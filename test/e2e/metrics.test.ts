/**
 * `GET /api/environments/:env/metrics` through the built CLI: real local deploys (two good ones, a
 * rollback, a deploy whose build fails, a fix), recorded by the real SQLite store, read by a real
 * `slipway serve` with a viewer token; the JSON and CSV figures are checked against what happened.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, cliSpawn, Project } from "../helpers.js";
import { type Served, startServe } from "../serve-harness.js";

const H = 3_600_000;
let p: Project;
let url = "";
let token = "";
let server: Served | null = null;
let commitTimes: number[] = [];

const run = (...args: string[]): Promise<CliResult> => cliSpawn(args, { cwd: p.dir }).done;

/** A commit dated `hoursAgo` hours back (committer date: what lead time reads). */
function commitAgo(content: string, hoursAgo: number): void {
  const at = new Date(Date.now() - hoursAgo * H);
  process.env.GIT_COMMITTER_DATE = at.toISOString();
  try {
    p.repo.commit({ "index.html": content }, content);
  } finally {
    delete process.env.GIT_COMMITTER_DATE;
  }
  commitTimes.push(Math.floor(at.getTime() / 1000) * 1000);
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are JSON whose shape each test asserts
async function get(route: string, auth = true): Promise<{ status: number; text: string; json: any; headers: Headers }> {
  const res = await fetch(url + route, { headers: auth ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  const json = res.headers.get("content-type")?.includes("json") ? JSON.parse(text) : null;
  return { status: res.status, text, json, headers: res.headers };
}

beforeAll(async () => {
  p = new Project("slipway-metrics-");
  p.writeConfig(`app: metricsapp
source: { git: ./app, ref: main }
keep_releases: 10
build:
  - "! grep -q broken index.html"
environments:
  prod:
    hosts:
      - { name: h1, transport: local, deploy_to: ./hosts/h1 }
  qa:
    hosts:
      - { name: q1, transport: local, deploy_to: ./hosts/q1 }
`);
  commitTimes = [];
  commitAgo("v1", 3);
  expect((await run("prod", "deploy")).code).toBe(0);
  commitAgo("v2", 2);
  expect((await run("prod", "deploy")).code).toBe(0);
  const rb = await run("prod", "rollback");
  expect(rb.code, rb.stderr).toBe(0);
  commitAgo("broken", 1.5);
  const bad = await run("prod", "deploy");
  expect(bad.code).not.toBe(0);
  commitAgo("v4", 1);
  expect((await run("prod", "deploy")).code).toBe(0);
  const t = await run("tokens", "create", "--name", "dash", "--role", "viewer");
  expect(t.code, t.stderr).toBe(0);
  token = t.stdout.trim();
  server = await startServe(p);
  url = server.url;
}, 180_000);

afterAll(async () => {
  await server?.stop();
  p?.cleanup();
});

describe("metrics API", () => {
  it("JSON: deploys, failures (a rollback and a failed build), lead time from the recorded commit times, time to restore", async () => {
    const r = await get("/api/environments/prod/metrics?days=7&bucket=day");
    expect(r.status).toBe(200);
    const m = r.json;
    expect(m).toMatchObject({ env: "prod", bucket: "day", days: 7 });
    expect(m.buckets.length).toBeGreaterThanOrEqual(8);
    expect(m.totals).toMatchObject({
      deploys: 4,
      successfulDeploys: 3,
      failedDeploys: 1,
      failedChanges: 2,
      changeFailureRate: 0.5,
      leadTime: { known: 3, unknown: 0 },
      timeToRestore: { restored: 2, open: 0 },
    });
    // Lead times ≈ 3 h, 2 h and 1 h (plus the seconds the deploys took): median ≈ 2 h, p90 ≈ 3 h.
    const near = (ms: number, hours: number) => ms >= hours * H && ms < hours * H + 10 * 60_000;
    expect(near(m.totals.leadTime.medianMs, 2), String(m.totals.leadTime.medianMs)).toBe(true);
    expect(near(m.totals.leadTime.p90Ms, 3), String(m.totals.leadTime.p90Ms)).toBe(true);
    // Both failures were put right within the test's own minutes.
    expect(m.totals.timeToRestore.p90Ms).toBeGreaterThan(0);
    expect(m.totals.timeToRestore.p90Ms).toBeLessThan(10 * 60_000);
    const sum = (f: (b: { successfulDeploys: number }) => number) => m.buckets.reduce((a: number, b: { successfulDeploys: number }) => a + f(b), 0);
    expect(sum((b) => b.successfulDeploys)).toBe(3);
    // The qa environment never deployed: zeros, nulls.
    const qa = (await get("/api/environments/qa/metrics")).json;
    expect(qa).toMatchObject({ bucket: "week", days: 90, totals: { deploys: 0, changeFailureRate: null, leadTime: { medianMs: null } } });
  });

  it("the deploy's run:start carries the commit's committer date", async () => {
    const { json } = await get("/api/environments/prod/history?verb=deploy&outcome=ok&limit=1");
    const events = (await get(`/api/runs/${json.runs[0].id}/events`)).json.events;
    const start = events.find((e: { type: string }) => e.type === "run:start");
    expect(Date.parse(start.commitTime)).toBe(commitTimes.at(-1));
  });

  it("CSV: an attachment with a header row; its figures add up to the JSON's", async () => {
    const r = await get("/api/environments/prod/metrics?days=7&bucket=week&format=csv");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(r.headers.get("content-disposition")).toMatch(/^attachment; filename="slipway-metrics-prod-\d{4}-\d\d-\d\d-\d{4}-\d\d-\d\d\.csv"$/);
    const lines = r.text.split("\r\n").filter(Boolean);
    const header = lines[0]!.split(",");
    expect(header.slice(0, 8)).toEqual([
      "env",
      "bucket_start",
      "bucket_end",
      "deploys",
      "successful_deploys",
      "failed_deploys",
      "failed_changes",
      "change_failure_rate",
    ]);
    const rows = lines.slice(1).map((l) => Object.fromEntries(l.split(",").map((v, i) => [header[i], v])));
    expect(rows.length).toBeGreaterThanOrEqual(1);
    const total = (col: string) => rows.reduce((a, row) => a + Number(row[col] || 0), 0);
    expect([total("deploys"), total("successful_deploys"), total("failed_deploys"), total("failed_changes"), total("restored"), total("open")]).toEqual([
      4, 3, 1, 2, 2, 0,
    ]);
    expect(rows.every((row) => row.env === "prod")).toBe(true);
  });

  it("strict query, known environments, a token required", async () => {
    expect(await get("/api/environments/prod/metrics?bucket=month")).toMatchObject({
      status: 400,
      json: { error: expect.stringMatching(/^query parameter bucket/) },
    });
    expect(await get("/api/environments/prod/metrics?days=0")).toMatchObject({ status: 400, json: { error: "query parameter days: at least 1" } });
    expect(await get("/api/environments/prod/metrics?since=1")).toMatchObject({ status: 400, json: { error: "unknown query parameter since" } });
    expect((await get("/api/environments/nope/metrics")).status).toBe(404);
    expect((await get("/api/environments/prod/metrics", false)).status).toBe(401);
  });
});
