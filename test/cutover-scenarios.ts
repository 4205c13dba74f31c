/**
 * The load scenarios of issue 12 item 3, shared by test/e2e/cutover-load.test.ts (which asserts on
 * them) and scripts/bench-cutover.ts (which tabulates them): 3 ssh hosts, supervisord, a real
 * nginx per host, 3 load connections per nginx, the CLI run while the load runs.
 */
import { commitApp } from "./apps/index.js";
import { loadApp } from "./apps/load-app.js";
import { Fleet, freePort } from "./fleet.js";
import { type CliResult, cliSpawn, Repo, tmpdir } from "./helpers.js";
import { type BucketStats, startLoad } from "./load.js";
import { curlNginx, type Nginx, prepareNginx } from "./nginx.js";
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";

export const HOSTS = ["web1", "web2", "web3"];
/** Load per nginx, as in the reference measurement. */
export const CONNECTIONS = 3;
/** The steady phase before each CLI run. */
export const STEADY_MS = Number(process.env.LOAD_STEADY_MS ?? 2000);
const AFTER_MS = 500;

export interface LoadFleet {
  fleet: Fleet;
  stop(): void;
}

export interface ScenarioResult {
  scenario: string;
  cli: CliResult;
  wallMs: number;
  phases: BucketStats[];
  /** Before the CLI starts. */
  steady: BucketStats;
  /** While the CLI runs. */
  during: BucketStats;
  /** The half second after it returned: which version serves now. */
  after: BucketStats;
  /** One fresh request per nginx after the scenario: "<body>\n<status>". */
  pagesAfter: string[];
}

/** 3 sshd hosts, each with its own supervisord. */
export async function startLoadFleet(): Promise<LoadFleet> {
  const fleet = await Fleet.start(HOSTS);
  for (const h of HOSTS) fleet.startSupervisord(h);
  return { fleet, stop: () => fleet.stop() };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Run `args` with the CLI while the load runs: steady phase, then "during" the CLI, then "after". */
async function underLoad(scenario: string, dir: string, lf: LoadFleet, nginxes: Nginx[], args: string[]): Promise<ScenarioResult> {
  const load = startLoad({ urls: nginxes.map((n) => `http://127.0.0.1:${n.port}/`), connectionsPerUrl: CONNECTIONS, timeoutMs: 10_000 });
  await sleep(STEADY_MS);
  load.phase("during");
  const t0 = Date.now();
  const cli = await cliSpawn(args, { cwd: dir, env: lf.fleet.env }).done;
  const wallMs = Date.now() - t0;
  load.phase("after");
  await sleep(AFTER_MS);
  const phases = await load.stop();
  const [steady, during, after] = phases as [BucketStats, BucketStats, BucketStats];
  return { scenario, cli, wallMs, phases, steady, during, after, pagesAfter: nginxes.map((n) => curlNginx(n)) };
}

/** A CLI run that must succeed (the setup deploys). */
async function mustRun(dir: string, lf: LoadFleet, args: string[]): Promise<void> {
  const r = await cliSpawn(args, { cwd: dir, env: lf.fleet.env }).done;
  if (r.code !== 0) throw new Error(`slipway ${args.join(" ")} exited ${r.code}:\n${r.stderr}`);
}

/** The in-place restart (no `cutover`): nginx proxies to the app's fixed PORT; deploy v2, then roll back to v1. */
export async function inPlaceScenarios(lf: LoadFleet): Promise<ScenarioResult[]> {
  const { fleet } = lf;
  const repo = new Repo(path.join(fleet.gitBase, "inplace"));
  const dir = tmpdir("slipway-load-");
  const ports = await Promise.all(HOSTS.map(() => freePort()));
  writeFileSync(
    path.join(dir, "slipway.yml"),
    `app: inplace
source: { git: "${fleet.gitUrl("inplace")}", ref: main }
services:
  web:
    backend: supervisord
    command: node server.js
    health: { http: "http://127.0.0.1:{{ PORT }}/health", timeout: 10 }
environments:
  prod:
    hosts:
${HOSTS.map((h, i) => `      - { name: ${h}, address: ${h}, env: { PORT: "${ports[i]}" } }`).join("\n")}
`,
  );
  commitApp(repo, loadApp(1), "v1");
  await mustRun(dir, lf, ["prod", "deploy"]);
  const nginxes = await Promise.all(HOSTS.map((h, i) => prepareNginx(fleet, h, { name: "nginx-inplace", staticPort: ports[i] })));
  try {
    for (const n of nginxes) n.start();
    commitApp(repo, loadApp(2), "v2");
    const deploy = await underLoad("in-place deploy", dir, lf, nginxes, ["prod", "deploy"]);
    const rollback = await underLoad("in-place rollback", dir, lf, nginxes, ["prod", "rollback"]);
    return [deploy, rollback];
  } finally {
    for (const n of nginxes) n.stop();
    for (const h of HOSTS) fleet.asUser(h, "supervisorctl -c supervisor/supervisord.conf stop inplace-web >/dev/null 2>&1; true");
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Each host's slots listen on their own loopback address (all fleet hosts share one loopback). */
const SLOT_HOST: Record<string, string> = { web1: "127.0.0.21", web2: "127.0.0.22", web3: "127.0.0.23" };

/**
 * With `cutover`: one service, the same two slot ports on every host (each on its host's address).
 * Deploy v2, roll back to v1, then deploy v3 whose health check fails on web2 (the flag file).
 */
export async function cutoverScenarios(lf: LoadFleet): Promise<ScenarioResult[]> {
  const { fleet } = lf;
  const repo = new Repo(path.join(fleet.gitBase, "cut"));
  const dir = tmpdir("slipway-load-");
  const nginxes = await Promise.all(
    HOSTS.map((h) =>
      prepareNginx(fleet, h, { name: "nginx-cutover", upstreamInclude: `${fleet.host(h).home}/apps/cut/nginx/web.conf`, upstreamName: "cut_web" }),
    ),
  );
  // The commands name ~ (the same on every host); prepareNginx's own are absolute per host.
  const base = "/usr/sbin/nginx -e ~/nginx-cutover/error.log -p ~/nginx-cutover -c ~/nginx-cutover/nginx.conf";
  const ports = [await freePort(), await freePort()];
  writeFileSync(
    path.join(dir, "slipway.yml"),
    `app: cut
source: { git: "${fleet.gitUrl("cut")}", ref: main }
services:
  web:
    backend: supervisord
    command: node server.js
    health: { http: "http://{{ SLOT_HOST }}:{{ SLIPWAY_PORT }}/health", timeout: 10 }
    cutover:
      proxy: nginx
      ports: [${ports.join(", ")}]
      host: "{{ SLOT_HOST }}"
      drain_timeout: 10
      nginx: { test: "${base} -t", reload: "${base} -s reload", pid_file: "~/nginx-cutover/nginx.pid" }
environments:
  prod:
    hosts:
${HOSTS.map((h) => `      - { name: ${h}, address: ${h}, env: { SLOT_HOST: "${SLOT_HOST[h]}" } }`).join("\n")}
`,
  );
  commitApp(repo, loadApp(1), "v1");
  // nginx starts after the first deploy wrote the upstream file it includes
  await mustRun(dir, lf, ["prod", "deploy"]);
  try {
    for (const n of nginxes) n.start();
    commitApp(repo, loadApp(2), "v2");
    const deploy = await underLoad("cutover deploy", dir, lf, nginxes, ["prod", "deploy"]);
    const rollback = await underLoad("cutover rollback", dir, lf, nginxes, ["prod", "rollback"]);
    fleet.asUser("web2", "touch unhealthy-3");
    commitApp(repo, loadApp(3), "v3");
    const failing = await underLoad("cutover deploy, health check fails", dir, lf, nginxes, ["prod", "deploy"]);
    return [deploy, rollback, failing];
  } finally {
    for (const n of nginxes) n.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
