/**
 * `npm run bench -- --scale`: one control machine against a big fleet (issue 13). 200 real sshd
 * hosts on loopback (BENCH_SCALE_HOSTS) get the realistic app (test/apps/realistic.ts): a first
 * deploy of the whole tree, redeploys of a few changed files, rollbacks, with the CLI's default
 * bounded concurrency (64 hosts worked on at once, 32 SSH handshakes in flight). Then a 1 GB
 * artifact (BENCH_BIG_MB) is uploaded to 10 hosts (BENCH_BIG_HOSTS). For every run: wall time, how
 * long the hosts took to connect (median / slowest, from the run's stats event), the CLI's peak RSS
 * (VmHWM) and open file descriptors (sampled every 20 ms from /proc), client CPU, and a check on disk
 * that every host's `current` holds the expected commit (a run with any host left behind is FAILED).
 * `--write` records the table in docs/benchmarks.md.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Fleet, IS_ROOT, type FleetHost } from "../test/fleet.js";
import { Repo } from "../test/helpers.js";
import { commitRealisticApp, commitRealisticChange } from "../test/apps/realistic.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BIN = path.join(ROOT, "dist/bundle/slipway.mjs");
const HOSTS = Number(process.env.BENCH_SCALE_HOSTS ?? 200);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const BIG_MB = Number(process.env.BENCH_BIG_MB ?? 1024);
const BIG_HOSTS = Number(process.env.BENCH_BIG_HOSTS ?? 10);
const TICK = 100;

interface Measured {
  ok: boolean;
  wallMs: number;
  rssMb: number;
  fds: number;
  cpuS: number;
  connect: { median: number; max: number } | null;
  why: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmtS = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** The CLI run with its peak RSS and fd count sampled from /proc, and its stats event parsed from --json. */
function measure(cwd: string, env: Record<string, string>, args: string[]): Promise<Omit<Measured, "ok" | "why"> & { code: number | null; out: string }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [BIN, ...args, "--json"], { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c));
    child.stderr.on("data", (c: Buffer) => (out += c));
    let rssKb = 0;
    let fds = 0;
    let cpu = 0;
    const sample = () => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
        rssKb = Math.max(rssKb, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
        fds = Math.max(fds, readdirSync(`/proc/${child.pid}/fd`).length);
        const stat = readFileSync(`/proc/${child.pid}/stat`, "utf8");
        const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        cpu = (Number(f[11]) + Number(f[12])) / TICK;
      } catch {} // exited between samples
    };
    const timer = setInterval(sample, 20);
    child.on("close", (code) => {
      clearInterval(timer);
      const stats = out
        .split("\n")
        .filter((l) => l.startsWith('{"type":"stats"') || l.includes('"type":"stats"'))
        .map((l) => JSON.parse(l) as { connectMs?: Record<string, number> })
        .pop();
      const ms = Object.values(stats?.connectMs ?? {});
      resolve({
        code,
        out,
        wallMs: performance.now() - t0,
        rssMb: rssKb / 1024,
        fds,
        cpuS: cpu,
        connect: ms.length ? { median: median(ms), max: Math.max(...ms) } : null,
      });
    });
  });
}

function currentCommit(h: FleetHost, app: string): string {
  try {
    const base = path.join(h.home, "apps", app);
    const rel = readlinkSync(path.join(base, "current"));
    return String(JSON.parse(readFileSync(path.join(base, rel, ".slipway/manifest.json"), "utf8")).commit);
  } catch (e) {
    return `unreadable (${(e as Error).message.split("\n")[0]})`;
  }
}

async function run(
  label: string,
  cwd: string,
  env: Record<string, string>,
  args: string[],
  hosts: FleetHost[],
  app: string,
  expected: string,
): Promise<Measured> {
  const m = await measure(cwd, env, args);
  const wrong = hosts.filter((h) => currentCommit(h, app) !== expected);
  const why =
    m.code !== 0
      ? `exit ${m.code}: ${m.out.trim().split("\n").slice(-3).join(" | ").slice(0, 300)}`
      : wrong.length
        ? `${wrong.length} host(s) not on ${expected.slice(0, 12)}, e.g. ${wrong[0]!.name}`
        : "";
  const r = { ...m, ok: !why, why };
  console.error(`scale bench: ${label}: ${fmtS(r.wallMs)}, rss ${r.rssMb.toFixed(0)} MB, ${r.fds} fds${why ? `  FAILED: ${why}` : ""}`);
  return r;
}

export async function scaleBench(): Promise<void> {
  if (!IS_ROOT) return console.error("scale bench: needs root (each fleet host its own user and home): skipped");
  const names = Array.from({ length: HOSTS }, (_, i) => `h${i + 1}`);
  const t = performance.now();
  const fleet = await Fleet.start(names);
  const startup = `fleet of ${HOSTS} sshd hosts started in ${fmtS(performance.now() - t)}`;
  console.error(`scale bench: ${startup}`);
  const work = mkdtempSync(path.join(os.tmpdir(), "slipway-bench-scale-"));
  process.once("SIGINT", () => {
    fleet.stop();
    rmSync(work, { recursive: true, force: true });
    process.exit(130);
  });
  const rows: { what: string; hosts: number; runs: Measured[] }[] = [];
  try {
    const repo = new Repo(path.join(fleet.gitBase, "scale"));
    let commit = commitRealisticApp(repo);
    const hostList = (hs: FleetHost[]) => hs.map((h) => `      - { name: ${h.name}, address: ${h.name} }`).join("\n");
    writeFileSync(
      path.join(work, "slipway.yml"),
      `app: scale\nsource: { git: "${fleet.gitUrl("scale")}", ref: main }\nkeep_releases: 3\nssh: { host_key_checking: strict }\nenvironments:\n  fleet:\n    hosts:\n${hostList(fleet.hosts)}\n`,
    );
    const env = fleet.env;
    const row = (what: string, hosts: number) => {
      const r = { what, hosts, runs: [] as Measured[] };
      rows.push(r);
      return r.runs;
    };
    // The first deploy sends every host the whole tree.
    row("first deploy (whole tree)", HOSTS).push(await run("first deploy", work, env, ["fleet", "deploy"], fleet.hosts, "scale", commit));
    const redeploys = row("redeploy (4 files changed)", HOSTS);
    const rollbacks = row("rollback", HOSTS);
    for (let i = 1; i <= REPEAT; i++) {
      const before = commit;
      commit = commitRealisticChange(repo, i);
      redeploys.push(await run(`redeploy ${i}`, work, env, ["fleet", "deploy"], fleet.hosts, "scale", commit));
      rollbacks.push(await run(`rollback ${i}`, work, env, ["fleet", "rollback"], fleet.hosts, "scale", before));
      // Forward again so the next redeploy starts from the newest commit.
      await run(`redeploy ${i} again`, work, env, ["fleet", "deploy"], fleet.hosts, "scale", commit);
    }

    // The 1 GB artifact: built once on this machine, streamed to each host with back-pressure.
    const bigDir = path.join(work, "big");
    mkdirSync(bigDir);
    writeFileSync(
      path.join(bigDir, "slipway.yml"),
      `app: big\nsource: { git: "${fleet.gitUrl("scale")}", ref: main, distribute: artifact, artifact_build: ["head -c ${BIG_MB}M /dev/urandom > big.bin"] }\nkeep_releases: 1\nssh: { host_key_checking: strict }\nenvironments:\n  big:\n    hosts:\n${hostList(fleet.hosts.slice(0, BIG_HOSTS))}\n`,
    );
    const bigRuns = row(`artifact upload (${BIG_MB} MB of new data per host)`, BIG_HOSTS);
    bigRuns.push(await run("1 GB artifact", bigDir, env, ["big", "deploy"], fleet.hosts.slice(0, BIG_HOSTS), "big", commit));
  } finally {
    fleet.stop();
    rmSync(work, { recursive: true, force: true });
  }

  const header = ["what", "hosts", "wall (median)", "connect median / slowest", "CLI peak RSS", "CLI peak fds", "CLI CPU", "runs ok"];
  const body = rows.map(({ what, hosts, runs }) => {
    const ok = runs.filter((r) => r.ok);
    const use = ok.length ? ok : runs;
    const m = (f: (r: Measured) => number) => median(use.map(f));
    const c = use.filter((r) => r.connect);
    return [
      what,
      String(hosts),
      fmtS(m((r) => r.wallMs)),
      c.length ? `${median(c.map((r) => r.connect!.median))} / ${median(c.map((r) => r.connect!.max))} ms` : "-",
      `${Math.max(...use.map((r) => r.rssMb)).toFixed(0)} MB`,
      String(Math.max(...use.map((r) => r.fds))),
      `${m((r) => r.cpuS).toFixed(2)} s`,
      `${ok.length}/${runs.length}${ok.length < runs.length ? ` FAILED: ${runs.find((r) => !r.ok)!.why}` : ""}`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const fmt = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  const table = [fmt(header), fmt(widths.map((w) => "-".repeat(w))), ...body.map(fmt)].join("\n");
  const cpu = (readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.*)/) ?? [])[1] ?? "unknown";
  const machine = `${os.cpus().length} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}, node ${process.version}`;
  console.log(`${startup}; RSS and fds are the CLI process's peaks (VmHWM, /proc/<pid>/fd)\nmachine: ${machine}\n\n${table}`);
  if (process.argv.includes("--write")) {
    const file = path.join(ROOT, "docs/benchmarks.md");
    const marker = "<!-- bench:scale -->";
    const block = `${marker}\nMeasured ${new Date().toISOString().slice(0, 10)} on ${machine}; ${startup}.\nMedian of ${REPEAT} redeploys and rollbacks. Source: \`npm run bench -- --scale --write\`.\n\n\`\`\`\n${table}\n\`\`\`\n${marker}`;
    const doc = readFileSync(file, "utf8");
    writeFileSync(file, doc.includes(marker) ? doc.replace(new RegExp(`${marker}[\\s\\S]*?${marker}`), block) : `${doc.trimEnd()}\n\n${block}\n`);
    console.log(`\nwrote ${file}`);
  }
  if (rows.some((r) => r.runs.some((x) => !x.ok))) process.exitCode = 1;
}
