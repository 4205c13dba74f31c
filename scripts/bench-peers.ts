/**
 * `npm run bench -- --peers`: Capistrano 3 and Slipway side by side (issue 13). Both deploy the same
 * generated app (test/apps/realistic.ts) from the same git daemon to the same sshd fleet, in
 * different deploy_to directories, alternating tool order each round. Every run is verified on disk
 * (each host's `current` holds the expected commit); a failed run is counted and shown, never dropped.
 * Environment: BENCH_HOSTS=1,10,50  BENCH_REPEAT=3 (timed redeploys and rollbacks per tool and size);
 * BENCH_DISTRIBUTE=git|push|artifact (Slipway's source.distribute; default: the config's default);
 * BENCH_KEEP=1 keeps the scratch dir (Capfile, slipway.yml, run logs), as a failed run always does.
 */
import { spawnSync } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Fleet, IS_ROOT, type FleetHost } from "../test/fleet.js";
import { Repo } from "../test/helpers.js";
import { commitRealisticApp, commitRealisticChange } from "../test/apps/realistic.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
// The published bin (package.json), as an operator runs it.
const MAIN = path.join(ROOT, "dist/bundle/slipway.mjs");
const SIZES = (process.env.BENCH_HOSTS ?? "1,10,50").split(",").map(Number);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
/** How Slipway gets the commit to the hosts (`source.distribute`); unset: the config's default. */
const DISTRIBUTE = process.env.BENCH_DISTRIBUTE;
const TICK = 100; // USER_HZ: /proc times are in 1/100 s on Linux

type Verb = "redeploy" | "rollback";
interface Run {
  ok: boolean;
  wallMs: number;
  clientCpuS: number;
  machineCpuS: number;
  sessions: number[];
  connections: number[];
  failure?: string;
  phases: Map<string, number[]>;
  /** Slipway only: ms from spawn until the last host logged each phase done (from the run's log file). */
  timeline: Map<string, number>;
}
interface Tool {
  name: string;
  cwd: string;
  argv: Record<Verb, string[]>;
  /** The commit a host's `current` release holds on disk, or why it cannot be read. */
  current(h: FleetHost): string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const now = () => Number(process.hrtime.bigint()) / 1e6;
const fmtS = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** user+sys of waited-for children (this process's cutime+cstime): the CLI's whole process tree. */
function childCpuS(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[13]) + Number(f[14])) / TICK;
}

/** Busy time of every core (user, nice, system, irq, softirq, steal) from /proc/stat. */
function machineCpuS(): number {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!) / TICK;
}

function readFrom(file: string, offset: number): string {
  const size = statSync(file).size;
  const buf = Buffer.alloc(size - offset);
  const fd = openSync(file, "r");
  readSync(fd, buf, 0, buf.length, offset);
  closeSync(fd);
  return buf.toString("utf8");
}
const count = (text: string, needle: string) => text.split(needle).length - 1;

/** One timed CLI run, then the sshd logs since its start and every host's `current` checked. */
function timedRun(tool: Tool, verb: Verb, hosts: FleetHost[], expected: Map<string, string>, logDir: string, env: Record<string, string>): Run {
  const logs = hosts.map((h) => path.join(h.dir, "sshd.log"));
  const offsets = logs.map((l) => statSync(l).size);
  const [c0, m0, t0, epoch0] = [childCpuS(), machineCpuS(), now(), Date.now()];
  const argv = tool.argv[verb];
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd: tool.cwd, encoding: "utf8", env: { ...process.env, ...env }, timeout: 600_000 });
  const wallMs = now() - t0;
  const run: Run = {
    ok: true,
    wallMs,
    clientCpuS: childCpuS() - c0,
    machineCpuS: machineCpuS() - m0,
    sessions: [],
    connections: [],
    phases: new Map(),
    timeline: new Map(),
  };
  for (const [i, l] of logs.entries()) {
    // LogLevel DEBUG1: one "ctype session" line per session channel (exec, scp, sftp), one "Accepted publickey" per login.
    const text = readFrom(l, offsets[i]!);
    run.sessions.push(count(text, "server_input_channel_open: ctype session"));
    run.connections.push(count(text, "Accepted publickey for"));
  }
  for (const m of `${r.stdout}\n${r.stderr}`.matchAll(/^\[[^\]]+\] (\w+) done \((\d+) ms\)$/gm)) {
    run.phases.set(m[1]!, [...(run.phases.get(m[1]!) ?? []), Number(m[2])]);
  }
  // Slipway's run log stamps every line: when the first line came (start-up, config, commit resolved; connections are being opened) and when the last host finished each phase.
  const logFile = /^log: (.+\.log)$/m.exec(`${r.stdout}\n${r.stderr}`)?.[1];
  if (logFile) {
    const lines = readFileSync(path.resolve(tool.cwd, logFile), "utf8").split("\n").filter(Boolean);
    const at = (l: string) => Date.parse(l.slice(0, l.indexOf(" "))) - epoch0;
    if (lines.length) run.timeline.set("first line (lock starts)", at(lines[0]!));
    for (const l of lines) {
      const m = /^\S+ \[[^\]]+\] (\w+) done/.exec(l);
      if (m) run.timeline.set(m[1]!, Math.max(run.timeline.get(m[1]!) ?? 0, at(l)));
    }
    run.timeline.set("exit", wallMs);
  }
  const wrong = hosts.map((h) => [h.name, tool.current(h)] as const).filter(([n, c]) => c !== expected.get(n));
  if (r.status !== 0 || wrong.length > 0) {
    const file = path.join(logDir, `${tool.name}-${verb}-${hosts.length}-${Date.now()}.log`);
    writeFileSync(file, `${argv.join(" ")}\nexit ${r.status} ${r.error ?? ""}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}\n`);
    const why = r.status !== 0 ? `exit ${r.status ?? r.signal}` : "";
    const verify = wrong.length
      ? `${wrong.length} host(s) wrong, e.g. ${wrong[0]![0]}: ${wrong[0]![1].slice(0, 40)} (expected ${expected.get(wrong[0]![0])?.slice(0, 12)})`
      : "";
    Object.assign(run, { ok: false, failure: `${[why, verify].filter(Boolean).join("; ")}; output in ${file}` });
  }
  return run;
}

function readCommit(file: string, pick: (raw: string) => string): string {
  try {
    return pick(readFileSync(file, "utf8"));
  } catch (e) {
    return `unreadable (${(e as NodeJS.ErrnoException).code ?? e})`;
  }
}

function capistrano(dir: string, fleet: Fleet, repoUrl: string): Tool {
  mkdirSync(path.join(dir, "config/deploy"), { recursive: true });
  writeFileSync(
    path.join(dir, "Capfile"),
    'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/scm/git"\ninstall_plugin Capistrano::SCM::Git\n',
  );
  writeFileSync(
    path.join(dir, "config/deploy.rb"),
    `lock "~> 3.17"
set :application, "peers"
set :repo_url, "${repoUrl}"
set :branch, "main"
set :deploy_to, "~/cap/peers"
set :keep_releases, 5
# Strict host keys: net-ssh reads ~/.ssh/config and known_hosts from the fleet's client HOME.
set :ssh_options, { verify_host_key: :always, auth_methods: %w[publickey], keys: ["${path.join(fleet.clientHome, ".ssh/id_ed25519")}"] }
# The fleet's hosts share this machine's /tmp as different users, so the stock /tmp/git-ssh-*.sh
# wrapper of one host would block the next; a relative tmp_dir puts it in each host's home instead.
set :tmp_dir, "tmp"
`,
  );
  const home = (h: FleetHost) => path.join(h.home, "cap/peers");
  return {
    name: "Capistrano",
    cwd: dir,
    argv: { redeploy: ["cap", "bench", "deploy"], rollback: ["cap", "bench", "deploy:rollback"] },
    current: (h) => readCommit(path.join(readlinkSafe(path.join(home(h), "current")), "REVISION"), (s) => s.trim()),
  };
}

function slipway(dir: string): Tool {
  return {
    name: "Slipway",
    cwd: dir,
    argv: { redeploy: [process.execPath, MAIN, "bench", "deploy"], rollback: [process.execPath, MAIN, "bench", "rollback"] },
    current: (h) => {
      const base = path.join(h.home, "slipway/peers");
      const rel = readlinkSafe(path.join(base, "current"));
      return readCommit(path.join(base, rel, ".slipway/manifest.json"), (s) => String(JSON.parse(s).commit));
    },
  };
}

const readlinkSafe = (p: string) => {
  try {
    return readlinkSync(p);
  } catch {
    return "/nonexistent";
  }
};

/** Point both tools at the first `n` hosts (one stage / environment named `bench`). */
function writeTargets(capDir: string, swDir: string, repoUrl: string, hosts: FleetHost[]): void {
  writeFileSync(path.join(capDir, "config/deploy/bench.rb"), hosts.map((h) => `server "${h.name}", roles: %w[app]\n`).join(""));
  const list = hosts.map((h) => `      - { name: ${h.name}, address: ${h.name} }`).join("\n");
  writeFileSync(
    path.join(swDir, "slipway.yml"),
    `app: peers\nsource: { git: "${repoUrl}", ref: main${DISTRIBUTE ? `, distribute: ${DISTRIBUTE}` : ""} }\ndeploy_to: ~/slipway/peers\nkeep_releases: 5\nssh: { host_key_checking: strict }\nenvironments:\n  bench:\n    hosts:\n${list}\n`,
  );
}

/**
 * Both tools must refuse a host whose key does not match known_hosts, or "strict host keys" in the
 * table would be a claim: with every host's key replaced by a stranger's, a deploy has to fail.
 */
function proveStrictHostKeys(tools: Tool[], fleet: Fleet, hosts: FleetHost[], work: string, env: Record<string, string>): void {
  const knownHosts = path.join(fleet.clientHome, ".ssh/known_hosts");
  const real = readFileSync(knownHosts, "utf8");
  spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(work, "stranger")]);
  const stranger = readFileSync(path.join(work, "stranger.pub"), "utf8").split(" ").slice(0, 2).join(" ");
  writeFileSync(knownHosts, hosts.map((h) => `[127.0.0.1]:${h.port} ${stranger}\n`).join(""));
  try {
    for (const tool of tools) {
      const argv = tool.argv.redeploy;
      const r = spawnSync(argv[0]!, argv.slice(1), { cwd: tool.cwd, encoding: "utf8", env: { ...process.env, ...env }, timeout: 120_000 });
      if (r.status === 0) throw new Error(`${tool.name} deployed to hosts with unknown host keys: its host key checking is not strict`);
      // Refused for the right reason, not some other failure: net-ssh says HostKeyMismatch / "fingerprint", Slipway "host key".
      const why = `${r.stdout}\n${r.stderr}`.split("\n").find((l) => /host ?key|fingerprint/i.test(l));
      if (!why) throw new Error(`${tool.name} failed against unknown host keys, but not on the host key:\n${r.stdout}\n${r.stderr}`);
      console.error(`peers bench: strict host keys: ${tool.name} refused: ${why.trim().slice(0, 160)}`);
    }
  } finally {
    writeFileSync(knownHosts, real);
  }
}

interface Cell {
  runs: Run[];
}
const cellKey = (tool: string, n: number, verb: Verb) => `${tool}|${n}|${verb}`;

export async function peersBench(): Promise<void> {
  if (!IS_ROOT) return console.error("peers bench: needs root (each fleet host its own user and home, as on real machines): skipped");
  if (spawnSync("cap", ["--version"], { stdio: "ignore" }).status !== 0) throw new Error("peers bench: `cap` not found (apt-get install capistrano)");
  // The fixed cost in every Slipway run: Node start-up and module loading, no host involved.
  const startup = median(
    Array.from({ length: 5 }, () => {
      const s = now();
      spawnSync(process.execPath, [MAIN, "--help"], { stdio: "ignore" });
      return now() - s;
    }),
  );
  const names = Array.from({ length: Math.max(...SIZES) }, (_, i) => `h${i + 1}`);
  let t = now();
  const fleet = await Fleet.start(names);
  console.error(`peers bench: fleet of ${names.length} sshd hosts up in ${fmtS(now() - t)}`);
  const work = mkdtempSync(path.join(os.tmpdir(), "slipway-bench-peers-"));
  const logDir = path.join(work, "failed-runs");
  mkdirSync(logDir);
  // Ctrl-C must not leave 50 sshd servers and their users behind.
  process.once("SIGINT", () => {
    fleet.stop();
    rmSync(work, { recursive: true, force: true });
    process.exit(130);
  });
  const cells = new Map<string, Cell>();
  const setup: string[] = [];
  const background = new Map<number, number>();
  try {
    const repo = new Repo(path.join(fleet.gitBase, "peers"));
    commitRealisticApp(repo);
    const url = fleet.gitUrl("peers");
    const capDir = path.join(work, "cap");
    const swDir = path.join(work, "slipway");
    mkdirSync(swDir);
    const tools = [capistrano(capDir, fleet, url), slipway(swDir)];
    let change = 0;
    for (const [i, n] of SIZES.entries()) {
      const hosts = fleet.hosts.slice(0, n);
      writeTargets(capDir, swDir, url, hosts);
      if (i === 0) proveStrictHostKeys(tools, fleet, hosts, work, fleet.env);
      const head = () => {
        const commit = repo.git("rev-parse", "HEAD");
        return new Map(hosts.map((h) => [h.name, commit]));
      };
      t = now();
      for (const tool of tools) {
        const first = timedRun(tool, "redeploy", hosts, head(), logDir, fleet.env); // not timed: clones the mirrors
        // Shown with the failed runs; the timed runs still go ahead (and show their own outcome).
        if (!first.ok) setup.push(`${tool.name} first (untimed) deploy to ${n} host(s): ${first.failure}`);
      }
      console.error(`peers bench: ${n} host(s): first deploys in ${fmtS(now() - t)}`);
      // Machine CPU counts every process on the machine: measure what runs without us, to read it against.
      const m0 = machineCpuS();
      await new Promise((r) => setTimeout(r, 2000));
      background.set(n, (machineCpuS() - m0) / 2);
      for (let round = 0; round < REPEAT; round++) {
        commitRealisticChange(repo, ++change);
        const order = round % 2 === 0 ? tools : [...tools].reverse();
        const before = new Map(order.map((tool) => [tool.name, new Map(hosts.map((h) => [h.name, tool.current(h)]))]));
        for (const verb of ["redeploy", "rollback"] as const) {
          for (const tool of order) {
            const run = timedRun(tool, verb, hosts, verb === "redeploy" ? head() : before.get(tool.name)!, logDir, fleet.env);
            const cell = cells.get(cellKey(tool.name, n, verb)) ?? { runs: [] };
            cell.runs.push(run);
            cells.set(cellKey(tool.name, n, verb), cell);
            console.error(`  ${tool.name} ${verb} ${n}: ${run.ok ? fmtS(run.wallMs) : `FAILED ${run.failure}`}`);
          }
        }
      }
    }
  } catch (e) {
    setup.push(`bench aborted: ${e instanceof Error ? e.message : e} (the table has the runs before it)`);
  } finally {
    fleet.stop();
  }
  if (!report(cells, setup, background, startup, work)) process.exitCode = 1;
}

/** The table (and with --write, the docs block) from every run, failed ones included; false when any failed. */
function report(cells: Map<string, Cell>, setup: string[], background: Map<number, number>, startupMs: number, work: string): boolean {
  const rows: string[][] = [];
  const failures: string[] = [...setup];
  const notes = [
    `Background load before the runs (2 s idle sample, cores busy): ${[...background].map(([n, b]) => `${b.toFixed(2)} before ${n} host(s)`).join(", ")}`,
    `Slipway CLI start-up (slipway --help, median of 5): ${startupMs.toFixed(0)} ms of every Slipway run`,
  ];
  const ok = (tool: string, n: number, verb: Verb) => cells.get(cellKey(tool, n, verb))?.runs.filter((r) => r.ok) ?? [];
  const wall = (runs: Run[]) => (runs.length ? median(runs.map((r) => r.wallMs)) : NaN);
  const range = (xs: number[]) => (xs.length ? (Math.min(...xs) === Math.max(...xs) ? `${xs[0]}` : `${Math.min(...xs)}-${Math.max(...xs)}`) : "-");
  const perHost = (runs: Run[], pick: (r: Run) => number[]) => range(runs.flatMap(pick));
  for (const n of SIZES) {
    const figures: Record<string, number[]> = {};
    for (const tool of ["Capistrano", "Slipway"]) {
      const cell = (verb: Verb) => {
        const all = cells.get(cellKey(tool, n, verb))?.runs ?? [];
        for (const [i, r] of all.entries()) if (!r.ok) failures.push(`${tool} ${verb} at ${n} host(s), run ${i + 1}: ${r.failure}`);
        const good = all.filter((r) => r.ok);
        const failed = all.length - good.length;
        const text = good.length ? fmtS(wall(good)) : "failed";
        return failed ? `${text} (${failed}/${all.length} failed)` : text;
      };
      const rd = ok(tool, n, "redeploy");
      const rb = ok(tool, n, "rollback");
      const cpu = rd.length ? median(rd.map((r) => r.clientCpuS)) : NaN;
      const mcpu = rd.length ? median(rd.map((r) => r.machineCpuS)) : NaN;
      figures[tool] = [wall(rd), wall(rb), cpu, mcpu];
      rows.push([
        tool,
        String(n),
        cell("redeploy"),
        cell("rollback"),
        Number.isNaN(cpu) ? "-" : `${cpu.toFixed(2)} s`,
        Number.isNaN(mcpu) ? "-" : `${mcpu.toFixed(2)} s`,
        `${perHost(rd, (r) => r.sessions)} / ${perHost(rb, (r) => r.sessions)}`,
        `${perHost(rd, (r) => r.connections)} / ${perHost(rb, (r) => r.connections)}`,
      ]);
      if (tool === "Slipway" && rd.length) {
        // Per-phase host times of the median redeploy, from the plain output's "[host] fetch done (N ms)".
        const mid = [...rd].sort((a, b) => a.wallMs - b.wallMs)[Math.floor(rd.length / 2)]!;
        const phases = [...mid.phases].map(([p, ms]) => `${p} ${median(ms)}/${Math.max(...ms)}`).join(", ");
        notes.push(`Slipway redeploy at ${n} host(s), per-host phase ms (median/max over hosts, median run): ${phases}`);
        const line = [...mid.timeline].map(([p, ms]) => `${p} ${(ms / 1000).toFixed(2)}`).join(", ");
        notes.push(`  same run, s from spawn until the last host finished each phase: ${line}`);
      }
    }
    const [c, s] = [figures.Capistrano!, figures.Slipway!];
    const ratio = (i: number) => (Number.isNaN(c[i]!) || Number.isNaN(s[i]!) || s[i] === 0 ? "-" : `${(c[i]! / s[i]!).toFixed(2)}x`);
    rows.push(["ratio Cap/Slipway", String(n), ratio(0), ratio(1), ratio(2), ratio(3), "", ""]);
  }
  const header = ["tool", "hosts", "redeploy", "rollback", "client CPU", "machine CPU", "SSH sessions/host", "connections/host"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) =>
    r
      .map((col, i) => col.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  const table = [fmt(header), fmt(widths.map((w) => "-".repeat(w))), ...rows.map(fmt)].join("\n");
  const cpuModel = (readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.*)/) ?? [])[1] ?? "unknown";
  const cap = spawnSync("cap", ["--version"], { encoding: "utf8" }).stdout.trim();
  const ssh = spawnSync("ssh", ["-V"], { encoding: "utf8" }).stderr.trim();
  const machine = `${os.cpus().length} cores (${cpuModel}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}, node ${process.version}, ${cap}, ${ssh}`;
  const legend = [
    `${REPEAT} timed redeploys and rollbacks per tool and size, alternating tool order; median wall time of the runs that passed.`,
    "Client CPU (the CLI's process tree, user+sys) and machine CPU (all cores, client and hosts, /proc/stat) are medians per",
    "redeploy; SSH sessions and connections per host (redeploy / rollback, min-max over hosts and runs) are counted from each",
    "host's sshd log (LogLevel DEBUG1). Every run is verified on disk: each host's `current` holds the expected commit.",
  ].join("\n");
  const failed = failures.length ? `\nFailed runs:\n${failures.map((f) => `- ${f}`).join("\n")}\n` : "\nFailed runs: none (every run verified on disk).\n";
  const body = `${table}\n\n${notes.join("\n")}\n`;
  console.log(`\nmachine: ${machine}\n${legend}\n\n${body}${failed}`);
  if (!failures.length && !process.env.BENCH_KEEP) rmSync(work, { recursive: true, force: true });
  if (!process.argv.includes("--write")) return failures.length === 0;
  const file = path.join(ROOT, "docs/benchmarks.md");
  const marker = "<!-- bench:peers -->";
  const block = `${marker}\nMeasured ${new Date().toISOString().slice(0, 10)} on ${machine}.\nSource: \`npm run bench -- --peers --write\`. ${legend}\n\n\`\`\`\n${body}\`\`\`\n${failed}${marker}`;
  const doc = readFileSync(file, "utf8");
  writeFileSync(
    file,
    doc.includes(marker) ? doc.replace(new RegExp(`${marker}[\\s\\S]*?${marker}`), block) : `${doc.trimEnd()}\n\n## Side by side with Capistrano\n\n${block}\n`,
  );
  console.log(`wrote ${file}`);
  return failures.length === 0;
}
