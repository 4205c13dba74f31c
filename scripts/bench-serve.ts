/**
 * `npm run bench -- --serve`: the dashboard's reads with a long history (issue: pages load in under
 * 200 ms with 1,000 deploys). A temporary project with local hosts (no SSH), one real deploy per
 * environment so the hosts hold real releases, then BENCH_SERVE_RUNS (1,000) deploy runs seeded over
 * ~180 days through the real SqliteStore API (run:start with a commit time, per-host phases and
 * output lines, run:end; ~88 % ok, ~7 % failed, ~5 % followed by a rollback). A viewer token from
 * the real CLI, the real `slipway serve` (the bundle), and each URL requested BENCH_SERVE_N (20)
 * times one after another (after 2 warm-up requests): median and p95 against the 200 ms budget.
 * Browser pages are requested only when the server has them (`POST /login` is not a 404): they
 * need the session cookie that login sets. `--write` records the table in docs/benchmarks.md.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { SqliteStore } from "../src/store/sqlite.js";
import { Repo } from "../test/helpers.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BIN = path.join(ROOT, "dist/bundle/slipway.mjs");
const RUNS = Number(process.env.BENCH_SERVE_RUNS ?? 1000);
const N = Number(process.env.BENCH_SERVE_N ?? 20);
const DAYS = 180;
const BUDGET_MS = 200;
const ENV = "production";
const HOSTS = ["web1", "web2", "worker1"];

/**
 * What is timed: API routes with a token, pages (when the server has them) with a session cookie.
 * `:env` and `:run` are filled in; add a row here to time another URL.
 */
const URLS: { path: string; kind: "api" | "page" }[] = [
  { path: "/api/environments", kind: "api" },
  { path: "/api/environments/:env/history?limit=50", kind: "api" },
  { path: "/api/environments/:env/metrics?days=180", kind: "api" },
  { path: "/api/runs/:run/events", kind: "api" },
  { path: "/", kind: "page" },
  { path: "/history", kind: "page" },
  { path: "/metrics", kind: "page" },
  { path: "/runs/:run", kind: "page" },
  { path: "/env/:env/releases", kind: "page" },
  { path: "/schedules", kind: "page" },
];

const DAY_MS = 86_400_000;
const sortedAt = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil((p / 100) * xs.length) - 1)]!;
const fmt = (ms: number) => `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;

/** A deterministic pseudo-random sequence, so every bench run seeds the same history. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function cli(dir: string, ...args: string[]): string {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`slipway ${args.join(" ")} failed (exit ${r.status}):\n${r.stderr}`);
  return r.stdout;
}

/** `RUNS` deploys (and the rollbacks some of them got) over the last DAYS days, written as the CLI would. */
async function seed(file: string): Promise<{ runs: number; events: number; lastId: number }> {
  const store = new SqliteStore(file);
  const rand = rng(42);
  const now = Date.now() - DAY_MS / 24; // an hour back: the real deploys stay the newest runs
  const step = (DAYS * DAY_MS) / RUNS;
  let runs = 0;
  let events = 0;
  let lastId = 0;
  let previous = "20250101000000";
  const write = async (verb: string, at: number, ok: boolean, release: string, commitAt: number | null) => {
    const ms = 20_000 + Math.floor(rand() * 100_000);
    const ts = (t: number) => new Date(t).toISOString();
    const id = await store.beginRun({ key: `bench-${runs}`, verb, env: ENV, by: rand() < 0.5 ? "ada" : "bob", startedAt: ts(at), logPath: null });
    const commit = Array.from({ length: 40 }, () => "0123456789abcdef"[Math.floor(rand() * 16)]).join("");
    const list: object[] = [
      { type: "phase:start", phase: "check", hosts: HOSTS, ts: ts(at) },
      {
        type: "run:start",
        verb,
        env: ENV,
        hosts: HOSTS,
        releaseId: release,
        commit,
        ref: "main",
        ...(commitAt ? { commitTime: ts(commitAt) } : {}),
        ts: ts(at + 300),
      },
    ];
    for (const phase of ["fetch", "link", "build", "switch", "restart"]) {
      list.push({ type: "phase:start", phase, hosts: HOSTS, ts: ts(at + 1000) });
      for (const host of HOSTS) {
        list.push({ type: "host:phase", host, phase, status: "running", ts: ts(at + 1000) });
        if (phase === "build")
          for (let i = 0; i < 4; i++)
            list.push({ type: "output", host, phase, stream: "stdout", line: `step ${i}: compiled ${i * 37} files`, ts: ts(at + 2000) });
        list.push({ type: "host:phase", host, phase, status: ok || phase !== "build" ? "done" : "failed", ms: 800, ts: ts(at + 3000) });
      }
      list.push({ type: "phase:end", phase, ok: true, ts: ts(at + 3000) });
      if (!ok && phase === "build") break;
    }
    list.push({ type: "run:end", ok, summary: [ok ? `${release} live on ${HOSTS.length} hosts` : "build failed on web1"], durationMs: ms, ts: ts(at + ms) });
    await store.appendEvents(
      id,
      list.map((e, i) => ({ seq: i + 1, ts: (e as { ts: string }).ts, json: JSON.stringify(e) })),
    );
    await store.updateRun(id, { releaseId: release, commit, finishedAt: ts(at + ms), outcome: ok ? "ok" : "failed", durationMs: ms });
    runs++;
    events += list.length;
    lastId = id;
  };
  for (let i = 0; i < RUNS; i++) {
    const at = now - DAYS * DAY_MS + i * step + rand() * step * 0.5;
    const release = new Date(at).toISOString().replace(/\D/g, "").slice(0, 14);
    const dice = rand();
    // Some deploys were recorded before commit times were: their lead time is unknown.
    const commitAt = rand() < 0.9 ? at - (10 * 60_000 + rand() * 3 * DAY_MS) : null;
    await write("deploy", at, dice >= 0.07, release, commitAt);
    if (dice >= 0.07 && dice < 0.12) await write("rollback", at + 15 * 60_000 + rand() * 3 * 3_600_000, true, previous, null);
    else if (dice >= 0.07) previous = release;
  }
  await store.close();
  return { runs, events, lastId };
}

/** Start `slipway serve` on a free port; resolves with its URL (read from the "listening on" line). */
function serve(dir: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [BIN, "serve", "--listen", "127.0.0.1:0"], { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${err}`)), 30_000);
    child.stderr!.on("data", (c: Buffer) => {
      err += String(c);
      const m = /listening on (https?:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1]!, child });
      }
    });
    child.on("exit", (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
}

/** The session cookie for pages, or null when this server has no login (no pages yet). */
async function login(url: string, token: string): Promise<string | null> {
  const res = await fetch(`${url}/login`, {
    method: "POST",
    // The bearer token too: an unknown path asks for one before it answers 404; a real login ignores it.
    headers: { authorization: `Bearer ${token}` },
    body: new URLSearchParams({ token }),
    redirect: "manual",
  });
  await res.text();
  if (res.status === 404) return null;
  const cookie = /slipway_session=[^;]+/.exec(res.headers.get("set-cookie") ?? "")?.[0];
  if (res.status !== 303 || !cookie) throw new Error(`POST /login answered ${res.status} without a session cookie`);
  return cookie;
}

async function time(url: string, headers: Record<string, string>): Promise<number[]> {
  const one = async () => {
    const t = performance.now();
    const res = await fetch(url, { headers });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
    return performance.now() - t;
  };
  await one();
  await one();
  const out: number[] = [];
  for (let i = 0; i < N; i++) out.push(await one());
  return out;
}

export async function serveBench(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-bench-serve-"));
  let server: ChildProcess | null = null;
  try {
    const repo = new Repo(path.join(dir, "app"));
    repo.commit({ "index.html": "v1" }, "v1");
    const hostsYaml = (env: string) => HOSTS.map((h) => `      - { name: ${h}, transport: local, deploy_to: ./hosts/${env}-${h} }`).join("\n");
    writeFileSync(
      path.join(dir, "slipway.yml"),
      `app: benchdash\nsource: { git: ./app, ref: main }\nkeep_releases: 3\nenvironments:\n  ${ENV}:\n    hosts:\n${hostsYaml(ENV)}\n  staging:\n    hosts:\n${hostsYaml("staging")}\n`,
    );
    const s = performance.now();
    const seeded = await seed(path.join(dir, ".slipway", "state.db"));
    console.error(`seeded ${seeded.runs} runs (${seeded.events} events) over ${DAYS} days in ${fmt(performance.now() - s)}`);
    cli(dir, "staging", "deploy");
    cli(dir, ENV, "deploy");
    const token = cli(dir, "tokens", "create", "--name", "bench", "--role", "viewer").trim();
    const started = await serve(dir);
    server = started.child;
    const cookie = await login(started.url, token);
    if (!cookie) console.error("no POST /login on this server: pages skipped (API routes only)");
    // The figures the metrics route computed from the seeded history, as a check that it read all of it.
    const m = (await (
      await fetch(`${started.url}/api/environments/${ENV}/metrics?days=${DAYS + 7}`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as {
      totals: { deploys: number; successfulDeploys: number; failedChanges: number; changeFailureRate: number; leadTime: { unknown: number } };
    };
    const t = m.totals;
    console.error(
      `metrics read back: ${t.deploys} deploys, ${t.successfulDeploys} ok, ${t.failedChanges} failed changes (${(100 * t.changeFailureRate).toFixed(1)} %), ${t.leadTime.unknown} without a commit time`,
    );
    const rows: string[][] = [];
    let over = 0;
    for (const u of URLS) {
      if (u.kind === "page" && !cookie) continue;
      const route = u.path.replace(":env", ENV).replace(":run", String(seeded.lastId));
      const times = await time(started.url + route, u.kind === "api" ? { authorization: `Bearer ${token}` } : { cookie: cookie! });
      const p95 = sortedAt(times, 95);
      if (p95 > BUDGET_MS) over++;
      rows.push([`GET ${route}`, fmt(sortedAt(times, 50)), fmt(p95), p95 <= BUDGET_MS ? "ok" : "OVER"]);
    }
    const header = ["what", "median", "p95", `budget ${BUDGET_MS} ms`];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (r: string[]) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join("  ")
        .trimEnd();
    const table = [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
    const cpu = (readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.*)/) ?? [])[1] ?? os.cpus()[0]?.model ?? "unknown";
    const machine = `${os.cpus().length} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}, node ${process.version}`;
    const what = `${seeded.runs} runs (${RUNS} deploys and their rollbacks, ${seeded.events} events) over ${DAYS} days in SQLite, ${HOSTS.length} local hosts per environment, 2 environments; ${N} sequential requests per URL after 2 warm-ups, one keep-alive client on loopback`;
    console.log(`${what}\nmachine: ${machine}\n\n${table}`);
    if (process.argv.includes("--write")) {
      const file = path.join(ROOT, "docs/benchmarks.md");
      const marker = "<!-- bench:serve -->";
      const block = `${marker}\nMeasured ${new Date().toISOString().slice(0, 10)} on ${machine}.\n${what}. Source: \`npm run bench -- --serve --write\`.\n\n\`\`\`\n${table}\n\`\`\`\n${marker}`;
      const doc = readFileSync(file, "utf8");
      writeFileSync(
        file,
        doc.includes(marker) ? doc.replace(new RegExp(`${marker}[\\s\\S]*?${marker}`), block) : `${doc.trimEnd()}\n\n## Dashboard\n\n${block}\n`,
      );
      console.log(`\nwrote ${file}`);
    }
    if (over) process.exitCode = 1;
  } finally {
    if (server && server.exitCode === null) {
      const gone = new Promise((r) => server!.once("exit", r));
      server.kill("SIGTERM");
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
