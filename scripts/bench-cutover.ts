/**
 * `npm run bench -- --cutover`: the load scenarios of test/cutover-scenarios.ts (3 sshd hosts,
 * supervisord, a real nginx per host, 3 load connections per nginx) as a table: the in-place
 * restart's deploy and rollback against the cutover's deploy, rollback and failing deploy.
 * `--write` replaces the `<!-- bench:cutover -->` block in docs/benchmarks.md.
 * Environment: LOAD_STEADY_MS (default 2000), the steady phase before each CLI run.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CONNECTIONS, cutoverScenarios, HOSTS, inPlaceScenarios, STEADY_MS, type ScenarioResult, startLoadFleet } from "../test/cutover-scenarios.js";
import { formatStats } from "../test/load.js";
import { NGINX_BIN } from "../test/nginx.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const MARKER = "<!-- bench:cutover -->";

const ms = (n: number) => `${n < 10 ? n.toFixed(1) : n.toFixed(0)} ms`;

/** One table row: the figures of the CLI's window ("during"), latency against the steady phase before it. */
function row(r: ScenarioResult): string[] {
  const d = r.during;
  const kinds = (x: Record<string, number>) =>
    Object.entries(x)
      .map(([k, v]) => `${v}×${k}`)
      .join(" ");
  return [
    r.scenario,
    String(d.sent),
    d.non2xx ? `${d.non2xx} (${kinds(d.byStatus)})` : "0",
    d.errors ? `${d.errors} (${kinds(d.byError)})` : "0",
    String(d.staleRetries),
    `${ms(r.steady.p50)} / ${ms(r.steady.p99)}`,
    `${ms(d.p50)} / ${ms(d.p99)}`,
    `${(r.wallMs / 1000).toFixed(2)} s${r.cli.code === 0 ? "" : ` (exit ${r.cli.code})`}`,
  ];
}

function table(rows: string[][]): string {
  const header = ["scenario", "requests", "non-2xx", "conn. errors", "keep-alive retries", "p50 / p99 steady", "p50 / p99 during", "CLI wall time"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [fmt(header), fmt(widths.map((w) => "-".repeat(w))), ...rows.map(fmt)].join("\n");
}

/** Run the scenarios, print the table (and the per-phase lines on stderr); `--write` records it. */
export async function cutoverBench(): Promise<void> {
  const lf = await startLoadFleet();
  let results: ScenarioResult[];
  try {
    results = [...(await inPlaceScenarios(lf)), ...(await cutoverScenarios(lf))];
  } finally {
    lf.stop();
  }
  for (const r of results) console.error(`[${r.scenario}] CLI exit ${r.cli.code}\n  ${r.phases.map(formatStats).join("\n  ")}`);
  const t = table(results.map(row));
  const cpu = (readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.*)/) ?? [])[1] ?? os.cpus()[0]?.model ?? "unknown";
  const nginx = spawnSync(NGINX_BIN, ["-v"], { encoding: "utf8" }).stderr.replace("nginx version:", "").trim();
  const machine = `${os.cpus().length} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}, node ${process.version}, ${nginx}`;
  const what = `${HOSTS.length} sshd hosts on loopback, supervisord, a real nginx per host, ${CONNECTIONS} keep-alive connections per nginx (sequential requests); figures are for the CLI's run ("during"), latency against the ${STEADY_MS / 1000} s before it`;
  console.log(`${what}\nmachine: ${machine}\n\n${t}`);
  if (process.argv.includes("--write")) {
    const file = path.join(ROOT, "docs/benchmarks.md");
    const block = `${MARKER}\nMeasured ${new Date().toISOString().slice(0, 10)} on ${machine}.\n${what}. Source: \`npm run bench -- --cutover --write\`.\n\n\`\`\`\n${t}\n\`\`\`\n${MARKER}`;
    const doc = readFileSync(file, "utf8");
    writeFileSync(
      file,
      doc.includes(MARKER)
        ? doc.replace(new RegExp(`${MARKER}[\\s\\S]*?${MARKER}`), block)
        : `${doc.trimEnd()}\n\n## Deploys under load: in-place restart against cutover\n\n${block}\n`,
    );
    console.log(`\nwrote ${file}`);
  }
}
