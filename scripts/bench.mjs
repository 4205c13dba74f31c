#!/usr/bin/env node
// `npm run bench`: per-command overhead and deploy/rollback wall time for 1, 10 and 50 hosts,
// with SSH-free local hosts (the transport under test is reported in the table).
// `npm run bench -- --write` also writes docs/benchmarks.md with the machine it ran on.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const MAIN = path.join(ROOT, "dist/cli/main.js");
const HOSTS = (process.env.BENCH_HOSTS ?? "1,10,50").split(",").map(Number);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (f) => {
  const t = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t) / 1e6;
};

function slipway(dir, ...args) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd: dir, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`slipway ${args.join(" ")} failed:\n${r.stderr}`);
  return r.stdout;
}

function project(hosts) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-bench-"));
  cpSync(path.join(ROOT, "examples/hello-app"), path.join(dir, "app"), { recursive: true });
  const git = (...a) => execFileSync("git", ["-c", "user.name=b", "-c", "user.email=b@b", "-C", path.join(dir, "app"), ...a], { stdio: "ignore" });
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-q", "-m", "v1");
  const hostYaml = Array.from({ length: hosts }, (_, i) => `      - { name: host${i + 1}, transport: local, deploy_to: ./hosts/host${i + 1} }`).join("\n");
  writeFileSync(path.join(dir, "slipway.yml"), `app: bench\nsource: { git: ./app, ref: main }\nkeep_releases: 3\nshared: { dirs: [log, tmp] }\nenvironments:\n  bench:\n    hosts:\n${hostYaml}\n`);
  let n = 1;
  const change = () => {
    writeFileSync(path.join(dir, "app", "VERSION"), String(++n));
    git("commit", "-q", "-am", `v${n}`);
  };
  return { dir, change };
}

const rows = [];
const tmp = mkdtempSync(path.join(os.tmpdir(), "slipway-bench-"));
rows.push(["slipway --help", "-", `${median(Array.from({ length: 10 }, () => ms(() => slipway(tmp, "--help")))).toFixed(0)} ms`, "-"]);
rows.push(["slipway version", "-", `${median(Array.from({ length: 10 }, () => ms(() => slipway(tmp, "version")))).toFixed(0)} ms`, "-"]);
rmSync(tmp, { recursive: true, force: true });

for (const n of HOSTS) {
  const p = project(n);
  slipway(p.dir, "bench", "deploy"); // first deploy: clones the mirrors
  rows.push([`releases (${n} host${n > 1 ? "s" : ""})`, String(n), `${median(Array.from({ length: 5 }, () => ms(() => slipway(p.dir, "bench", "releases")))).toFixed(0)} ms`, "1"]);
  const deploys = [];
  let trips = "?";
  for (let i = 0; i < REPEAT; i++) {
    p.change();
    let out = "";
    deploys.push(ms(() => (out = slipway(p.dir, "bench", "deploy", "--json"))));
    const stats = out.trim().split("\n").map((l) => JSON.parse(l)).find((e) => e.type === "stats");
    if (stats) trips = String(Math.max(...Object.values(stats.roundTrips)));
  }
  rows.push([`redeploy (${n} host${n > 1 ? "s" : ""})`, String(n), `${(median(deploys) / 1000).toFixed(2)} s`, trips]);
  const rollbacks = [];
  for (let i = 0; i < REPEAT; i++) {
    p.change();
    slipway(p.dir, "bench", "deploy");
    let out = "";
    rollbacks.push(ms(() => (out = slipway(p.dir, "bench", "rollback", "--json"))));
    const stats = out.trim().split("\n").map((l) => JSON.parse(l)).find((e) => e.type === "stats");
    if (stats) trips = String(Math.max(...Object.values(stats.roundTrips)));
  }
  rows.push([`rollback (${n} host${n > 1 ? "s" : ""})`, String(n), `${(median(rollbacks) / 1000).toFixed(2)} s`, trips]);
  rmSync(p.dir, { recursive: true, force: true });
}

const header = ["what", "hosts", "median wall time", "round trips per host"];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const fmt = (r) => r.map((c, i) => c.padEnd(widths[i])).join("  ");
const table = [fmt(header), fmt(widths.map((w) => "-".repeat(w))), ...rows.map(fmt)].join("\n");
const cpu = (readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.*)/) ?? [])[1] ?? os.cpus()[0]?.model ?? "unknown";
const machine = `${os.cpus().length} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}, node ${process.version}`;
console.log(`transport: local (no SSH); ${REPEAT} runs each, median\nmachine: ${machine}\n\n${table}`);

if (process.argv.includes("--write")) {
  const file = path.join(ROOT, "docs/benchmarks.md");
  const marker = "<!-- bench:local -->";
  const block = `${marker}\nMeasured ${new Date().toISOString().slice(0, 10)} on ${machine}.\nTransport: local hosts (no SSH). ${REPEAT} runs each, median. Source: \`npm run bench -- --write\`.\n\n\`\`\`\n${table}\n\`\`\`\n${marker}`;
  let doc;
  try {
    doc = readFileSync(file, "utf8");
  } catch {
    doc = `# Benchmarks\n\n${marker}\n${marker}\n`;
  }
  const re = new RegExp(`${marker}[\\s\\S]*?${marker}`);
  writeFileSync(file, doc.replace(re, block));
  console.log(`\nwrote ${file}`);
}
