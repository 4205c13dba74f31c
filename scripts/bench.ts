/**
 * `npm run bench`: connect time, per-command overhead (ssh2 vs OpenSSH), and deploy/rollback wall
 * time for 1, 10 and 50 real sshd hosts on loopback, with SSH round trips per host per deploy.
 * `npm run bench -- --write` also records the table in docs/benchmarks.md with the machine.
 * Environment: BENCH_HOSTS=1,10,50  BENCH_REPEAT=3.
 * Then, when PostgreSQL is installed, the database section (`--db`: only that section; `--no-db`: skip it): a ~200 MB PostgreSQL
 * database (BENCH_DB_ROWS rows of ~100 bytes), timing `db backup`, `db restore --into` and
 * `db verify` against one sshd host (MB/s from pg_database_size).
 * Then the load section (`--cutover`: only that section; `--no-cutover`: skip it): scripts/bench-cutover.ts.
 * Alone: `--peers` (Capistrano side by side, scripts/bench-peers.ts), `--scale` (200 hosts and a 1 GB artifact, scripts/bench-scale.ts),
 * `--serve` (the dashboard's reads with 1,000 deploys in history, scripts/bench-serve.ts).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Fleet } from "../test/fleet.js";
import { SshExecutor } from "../src/exec/ssh/executor.js";
import type { Host, SshSettings } from "../src/config/resolve.js";
import { HAVE_POSTGRES, startPostgres } from "../test/dbservers.js";
import { cutoverBench } from "./bench-cutover.js";
import { peersBench } from "./bench-peers.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const MAIN = path.join(ROOT, "dist/cli/main.js");
const SIZES = (process.env.BENCH_HOSTS ?? "1,10,50").split(",").map(Number);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const MAX = Math.max(...SIZES);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const now = () => Number(process.hrtime.bigint()) / 1e6;
const fmtMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`);
const rows: string[][] = [];

function slipway(dir: string, env: Record<string, string>, ...args: string[]): string {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd: dir, encoding: "utf8", env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`slipway ${args.join(" ")} failed:\n${r.stderr}`);
  return r.stdout;
}

function roundTrips(ndjson: string): number {
  const stats = ndjson
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l))
    .find((e) => e.type === "stats");
  return stats ? Math.max(...(Object.values(stats.roundTrips) as number[])) : NaN;
}

/** Database section: throwaway PostgreSQL, one fleet host with role db, the CLI timed end to end. */
async function dbBench(): Promise<void> {
  if (!HAVE_POSTGRES) {
    console.error("db bench: PostgreSQL (server and client) is not installed: skipped");
    return;
  }
  const n = Number(process.env.BENCH_DB_ROWS ?? 1_400_000);
  const runs = Number(process.env.BENCH_DB_REPEAT ?? 1);
  const pg = await startPostgres();
  const fleet = await Fleet.start(["db1"]);
  const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-bench-db-"));
  const out: string[][] = [];
  try {
    let s = now();
    pg.sql(
      `CREATE TABLE items (id bigserial PRIMARY KEY, n integer NOT NULL, payload text NOT NULL);
       INSERT INTO items (n, payload) SELECT g, md5(g::text) || md5((g * 7)::text) || repeat('x', 36) FROM generate_series(1, ${n}) g;
       ALTER TABLE items OWNER TO app; VACUUM ANALYZE items;`,
      pg.name,
    );
    const bytes = Number(pg.sql(`SELECT pg_database_size('${pg.name}')`).trim());
    const mib = bytes / 2 ** 20;
    console.error(`db bench: ${n} rows, ${mib.toFixed(0)} MiB generated in ${fmtMs(now() - s)}`);
    writeFileSync(
      path.join(dir, "slipway.yml"),
      `app: dbbench\nsource: { git: "${fleet.gitUrl("dbbench")}", ref: main }\nsecret_env: [DB_PASSWORD]\nenvironments:\n  bench:\n    hosts:\n      - { name: db1, address: db1, roles: [db] }\n    databases:\n      main: { engine: postgres, host: 127.0.0.1, port: ${pg.port}, name: ${pg.name}, user: ${pg.user}, password_secret: DB_PASSWORD, backups: { keep: 100 } }\n`,
    );
    const env = { ...fleet.env, DB_PASSWORD: pg.password };
    const timed = (label: string, args: (i: number) => string[]) => {
      const times: number[] = [];
      let stdout = "";
      for (let i = 0; i < runs; i++) {
        s = now();
        stdout = slipway(dir, env, "bench", "db", ...args(i));
        times.push(now() - s);
      }
      const ms = median(times);
      out.push([label, `${mib.toFixed(0)} MiB`, fmtMs(ms), `${(mib / (ms / 1000)).toFixed(1)} MiB/s`]);
      return stdout;
    };
    let id = "";
    const backupArgs = () => ["backup", "--json"];
    const last = timed("db backup (pg_dump | stats | gzip)", backupArgs);
    id = (
      JSON.parse(
        last
          .trim()
          .split("\n")
          .find((l) => l.includes('"sha256"'))!,
      ) as { id: string; size: number }
    ).id;
    const size = (JSON.parse(slipway(dir, env, "bench", "db", "backups", "--json")) as { id: string; size: number }[]).find((b) => b.id === id)!.size;
    timed("db restore --into (gunzip | psql, one transaction)", (i) => ["restore", id, "--into", `restored_${i}`, "--yes"]);
    timed("db verify (sha256, scratch restore, re-dump + stats)", () => ["verify", id]);
    out.push(["backup file (gzip)", `${(size / 2 ** 20).toFixed(0)} MiB`, "-", `${((100 * size) / bytes).toFixed(0)}% of the database`]);
  } finally {
    fleet.stop();
    pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const header = ["what", "database", "time", "throughput"];
  const widths = header.map((h, i) => Math.max(h.length, ...out.map((r) => r[i]!.length)));
  const fmt = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  const table = [fmt(header), fmt(widths.map((w) => "-".repeat(w))), ...out.map(fmt)].join("\n");
  const cpu = (readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.*)/) ?? [])[1] ?? os.cpus()[0]?.model ?? "unknown";
  const pgv = execFileSync("pg_dump", ["--version"], { encoding: "utf8" }).trim();
  const machine = `${os.cpus().length} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}, node ${process.version}, ${pgv}`;
  console.log(
    `PostgreSQL on loopback, clients on an sshd host (db1); CLI runs include node start-up; ${runs} run(s) each, median\nmachine: ${machine}\n\n${table}`,
  );
  if (process.argv.includes("--write")) {
    const file = path.join(ROOT, "docs/benchmarks.md");
    const marker = "<!-- bench:db -->";
    const block = `${marker}\nMeasured ${new Date().toISOString().slice(0, 10)} on ${machine}.\n${runs} run(s) each, median. Source: \`npm run bench -- --db --write\`.\n\n\`\`\`\n${table}\n\`\`\`\n${marker}`;
    const doc = readFileSync(file, "utf8");
    writeFileSync(
      file,
      doc.includes(marker) ? doc.replace(new RegExp(`${marker}[\\s\\S]*?${marker}`), block) : `${doc.trimEnd()}\n\n## Database backups\n\n${block}\n`,
    );
    console.log(`\nwrote ${file}`);
  }
}

async function main() {
  const names = Array.from({ length: MAX }, (_, i) => `h${i + 1}`);
  const t = now();
  const fleet = await Fleet.start(names);
  console.error(`fleet of ${MAX} sshd hosts up in ${fmtMs(now() - t)}`);
  process.env.HOME = fleet.clientHome;
  const settings: SshSettings = {
    configFile: path.join(fleet.clientHome, ".ssh/config"),
    hostKeyChecking: "strict",
    connectTimeoutMs: 10_000,
    keepaliveMs: 3000,
    keepaliveCount: 3,
  };
  const host = (n: string): Host => ({ name: n, transport: "ssh", address: n, roles: [], primary: false, deployTo: "~/x" });
  try {
    // --help: the published bundle (package.json bin), tsc's dist for comparison, and Node's own
    // start-up as the floor (NODE_EXTRA_CA_CERTS, when set, is parsed there before any JS runs).
    const tmp = mkdtempSync(path.join(os.tmpdir(), "slipway-bench-"));
    const startup = (argv: string[]) => {
      const times = Array.from({ length: 23 }, () => {
        const s = now();
        const r = spawnSync(process.execPath, argv, { cwd: tmp, stdio: "ignore" });
        if (r.status !== 0) throw new Error(`node ${argv.join(" ")} failed (exit ${r.status})`);
        return now() - s;
      });
      return fmtMs(median(times.slice(3))); // the first runs warm the page cache
    };
    rows.push(["slipway --help (bundle, the bin)", "-", startup([path.join(ROOT, "dist/bundle/slipway.mjs"), "--help"]), "-"]);
    rows.push(["slipway --help (tsc dist/cli/main.js)", "-", startup([MAIN, "--help"]), "-"]);
    rows.push([`node -e 0 (floor${process.env.NODE_EXTRA_CA_CERTS ? ", NODE_EXTRA_CA_CERTS set" : ""})`, "-", startup(["-e", "0"]), "-"]);

    // connect
    for (const n of SIZES) {
      const s = now();
      const exs = await Promise.all(names.slice(0, n).map((h) => SshExecutor.connect(host(h), settings)));
      rows.push([`connect (ssh2, parallel)`, String(n), fmtMs(now() - s), "-"]);
      await Promise.all(exs.map((e) => e.close()));
    }

    // per-command overhead
    const ex = await SshExecutor.connect(host("h1"), settings);
    const cmds: number[] = [];
    for (let i = 0; i < 50; i++) {
      const s = now();
      await ex.exec("true");
      cmds.push(now() - s);
    }
    rows.push(["command on open connection (ssh2)", "1", fmtMs(median(cmds)), "-"]);
    await ex.close();
    const h1 = fleet.host("h1");
    const base = [
      "-F",
      settings.configFile,
      "-o",
      `UserKnownHostsFile=${path.join(fleet.clientHome, ".ssh/known_hosts")}`,
      "-i",
      path.join(fleet.clientHome, ".ssh/id_ed25519"),
      "-o",
      "BatchMode=yes",
    ];
    const ctl = path.join(tmp, "ctl");
    execFileSync("ssh", [...base, "-o", "ControlMaster=yes", "-o", `ControlPath=${ctl}`, "-o", "ControlPersist=60", "-fN", "h1"]);
    const viaMaster: number[] = [];
    for (let i = 0; i < 20; i++) {
      const s = now();
      execFileSync("ssh", [...base, "-o", `ControlPath=${ctl}`, "h1", "true"]);
      viaMaster.push(now() - s);
    }
    rows.push(["command via OpenSSH ControlMaster", "1", fmtMs(median(viaMaster)), "-"]);
    execFileSync("ssh", [...base, "-o", `ControlPath=${ctl}`, "-O", "exit", "h1"], { stdio: "ignore" });
    const fresh: number[] = [];
    for (let i = 0; i < 10; i++) {
      const s = now();
      execFileSync("ssh", [...base, "h1", "true"]);
      fresh.push(now() - s);
    }
    rows.push(["command on a new OpenSSH connection", "1", fmtMs(median(fresh)), "-"]);
    void h1;

    // deploy and rollback through the CLI
    for (const n of SIZES) {
      const app = `bench${n}`;
      const repo = path.join(fleet.gitBase, app);
      cpSync(path.join(ROOT, "examples/hello-app"), repo, { recursive: true });
      const git = (...a: string[]) => execFileSync("git", ["-c", "user.name=b", "-c", "user.email=b@b", "-C", repo, ...a], { stdio: "ignore" });
      git("init", "-q", "-b", "main");
      git("add", "-A");
      git("commit", "-q", "-m", "v1");
      const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-bench-"));
      const hostsYaml = names
        .slice(0, n)
        .map((h) => `      - { name: ${h}, address: ${h} }`)
        .join("\n");
      writeFileSync(
        path.join(dir, "slipway.yml"),
        `app: ${app}\nsource: { git: "${fleet.gitUrl(app)}", ref: main }\nkeep_releases: 3\nshared: { dirs: [log, tmp] }\nenvironments:\n  bench:\n    hosts:\n${hostsYaml}\n`,
      );
      let v = 1;
      const change = () => {
        writeFileSync(path.join(repo, "VERSION"), String(++v));
        git("commit", "-q", "-am", `v${v}`);
      };
      slipway(dir, fleet.env, "bench", "deploy"); // first deploy clones the mirrors
      // Time one verb REPEAT times (after `prepare` each time); the row gets the median and the round trips.
      const measure = (label: string, verb: string, prepare: () => void) => {
        const times: number[] = [];
        let trips = NaN;
        for (let i = 0; i < REPEAT; i++) {
          prepare();
          const s = now();
          const out = slipway(dir, fleet.env, "bench", verb, "--json");
          times.push(now() - s);
          trips = roundTrips(out);
        }
        rows.push([label, String(n), fmtMs(median(times)), String(trips)]);
      };
      measure("redeploy", "deploy", change);
      measure("rollback", "rollback", () => {
        change();
        slipway(dir, fleet.env, "bench", "deploy");
      });
      // The same app shipped as an artifact: built once here, only changed files uploaded.
      writeFileSync(
        path.join(dir, "slipway.yml"),
        readFileSync(path.join(dir, "slipway.yml"), "utf8").replace("ref: main }", "ref: main, distribute: artifact }"),
      );
      change();
      slipway(dir, fleet.env, "bench", "deploy");
      measure("redeploy (distribute: artifact)", "deploy", change);
      rmSync(dir, { recursive: true, force: true });
    }
    rmSync(tmp, { recursive: true, force: true });
  } finally {
    fleet.stop();
  }

  const header = ["what", "hosts", "median", "ssh round trips per host"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  const table = [fmt(header), fmt(widths.map((w) => "-".repeat(w))), ...rows.map(fmt)].join("\n");
  const cpu = (readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.*)/) ?? [])[1] ?? os.cpus()[0]?.model ?? "unknown";
  const ssh =
    execFileSync("ssh", ["-V"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }) || spawnSync("ssh", ["-V"], { encoding: "utf8" }).stderr.trim();
  const machine = `${os.cpus().length} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}, node ${process.version}, ${String(ssh).trim()}`;
  console.log(`real sshd hosts on loopback; CLI runs include node start-up; ${REPEAT} runs each, median\nmachine: ${machine}\n\n${table}`);
  if (process.argv.includes("--write")) {
    const file = path.join(ROOT, "docs/benchmarks.md");
    const marker = "<!-- bench:ssh -->";
    const block = `${marker}\nMeasured ${new Date().toISOString().slice(0, 10)} on ${machine}.\n${REPEAT} runs each, median. Source: \`npm run bench -- --write\`.\n\n\`\`\`\n${table}\n\`\`\`\n${marker}`;
    const doc = readFileSync(file, "utf8");
    writeFileSync(file, doc.replace(new RegExp(`${marker}[\\s\\S]*?${marker}`), block));
    console.log(`\nwrote ${file}`);
  }
}

async function all() {
  if (process.argv.includes("--db")) return dbBench();
  if (process.argv.includes("--cutover")) return cutoverBench();
  if (process.argv.includes("--peers")) return peersBench(); // Capistrano side by side: scripts/bench-peers.ts
  if (process.argv.includes("--scale")) return (await import("./bench-scale.js")).scaleBench(); // 200 hosts, 1 GB artifact
  if (process.argv.includes("--serve")) return (await import("./bench-serve.js")).serveBench(); // dashboard reads, 1,000 deploys
  await main();
  if (!process.argv.includes("--no-db")) {
    if (!HAVE_POSTGRES) console.log("\n(database section skipped: PostgreSQL is not installed)");
    else {
      console.log("");
      await dbBench();
    }
  }
  if (process.argv.includes("--no-cutover")) return;
  console.log("");
  await cutoverBench();
}

all().catch((e) => {
  console.error(e);
  process.exit(1);
});
