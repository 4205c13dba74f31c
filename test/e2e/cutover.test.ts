/**
 * Zero-downtime cutover on the ssh fleet: each host runs supervisord and a real nginx in front of the
 * app's slots. Requests go through nginx the whole time and every answer is checked.
 */
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, readlinkSync, writeFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fleet, freePort, SKIP_FLEET } from "../fleet.js";
import { type Nginx, prepareNginx } from "../nginx.js";
import { cliSpawn, Repo, tmpdir, waitFor } from "../helpers.js";

const NAMES = ["web1", "web2"];
let fleet: Fleet;
const nginx: Record<string, Nginx> = {};
// Every host uses the same two slot ports, each on its own loopback address (as separate machines would).
const SLOT_HOST: Record<string, string> = { web1: "127.0.0.11", web2: "127.0.0.12" };
let ports: [number, number];

// Starts listening a second after launch (a slow boot), so a switch before the health check would 502.
const SERVER = `const http = require("http"), fs = require("fs");
const v = fs.readFileSync(__dirname + "/VERSION", "utf8").trim();
setTimeout(() => http.createServer((q, r) => {
  if (q.url === "/health") { r.statusCode = fs.existsSync(process.env.HOME + "/unhealthy-" + v) ? 500 : 200; return r.end("h"); }
  if (q.url.startsWith("/slow")) return setTimeout(() => r.end("slow v" + v), 2500);
  r.end("v" + v);
}).listen(Number(process.env.SLIPWAY_PORT), process.env.SLIPWAY_SLOT_HOST), 1000);
`;

beforeAll(async () => {
  if (SKIP_FLEET) return;
  fleet = await Fleet.start(NAMES);
  ports = [await freePort(), await freePort()];
  for (const h of NAMES) {
    fleet.startSupervisord(h);
    const home = fleet.host(h).home;
    // nginx is started after the first deploy wrote the upstream file; extra/*.conf lets a test break its config.
    nginx[h] = await prepareNginx(fleet, h, {
      upstreamInclude: `${home}/apps/capp/nginx/web.conf`,
      upstreamName: "capp_web",
      extraHttp: `include ${home}/nginx/extra/*.conf;`,
    });
    fleet.asUser(h, "mkdir -p nginx/extra");
  }
}, 60_000);
afterAll(() => {
  for (const h of NAMES) nginx[h]?.stop();
  fleet?.stop();
});

/** GET through a host's nginx on a fresh connection: [status, body] (status 0: no connection). */
function get(host: string, p = "/"): Promise<[number, string]> {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port: nginx[host]!.port, path: p, agent: false, timeout: 10_000 }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve([res.statusCode ?? 0, body]));
    });
    req.on("error", () => resolve([0, ""]));
  });
}

/** Requests in a loop through every host's nginx until stopped: what answered, and every failure. */
function watch() {
  let on = true;
  const seen = new Set<string>();
  const failures: string[] = [];
  let sent = 0;
  const loops = NAMES.map(async (h) => {
    while (on) {
      const [code, body] = await get(h);
      sent++;
      if (code === 200) seen.add(`${h}:${body}`);
      else failures.push(`${h}: ${code} ${body.slice(0, 80)}`);
    }
  });
  return {
    stop: async () => {
      on = false;
      await Promise.all(loops);
      return { sent, seen, failures };
    },
  };
}

const listening = (host: string, port: number) => {
  try {
    execFileSync("bash", ["-c", `exec 3<>/dev/tcp/${host}/${port}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};

function config(extra = ""): string {
  return `app: capp
source: { git: "${fleet.gitUrl("capp")}", ref: main }
verify:
  - test ! -f ~/fail-verify
services:
  web:
    backend: supervisord
    command: node server.js
    health: { http: "http://{{ SLOT_HOST }}:{{ SLIPWAY_PORT }}/health", timeout: 8 }
    cutover:
      proxy: nginx
      ports: [${ports.join(", ")}]
      upstream_file: nginx/web.conf
      host: "{{ SLOT_HOST }}"
      drain_timeout: 20
      nginx: { test: "${nginx.web1!.testCmd.replaceAll(fleet.host("web1").home, "~")}", reload: "${nginx.web1!.reloadCmd.replaceAll(fleet.host("web1").home, "~")}", pid_file: "~/nginx/nginx.pid" }
${extra}environments:
  prod:
    hosts:
${NAMES.map((h) => `      - { name: ${h}, address: ${h}, env: { SLOT_HOST: "${SLOT_HOST[h]}" } }`).join("\n")}
`;
}

describe.skipIf(SKIP_FLEET)("zero-downtime cutover behind nginx", () => {
  let dir: string;
  let repo: Repo;
  const run = async (...a: string[]) => cliSpawn(a, { cwd: dir, env: fleet.env }).done;
  const serving = (h: string) => readFileSync(path.join(fleet.host(h).home, "apps/capp/.slipway/cutover/web"), "utf8").trim();
  const currentOf = (h: string) => readlinkSync(path.join(fleet.host(h).home, "apps/capp/current"));
  const slotUp = (h: string, port: number) => listening(SLOT_HOST[h]!, port);
  const release = async (version: string) => {
    repo.commit({ "server.js": SERVER, VERSION: version });
  };

  beforeAll(() => {
    if (SKIP_FLEET) return;
    repo = new Repo(path.join(fleet.gitBase, "capp"));
    dir = tmpdir();
    writeFileSync(path.join(dir, "slipway.yml"), config());
  });

  it("first deploy: a slot, the upstream file, nginx started on it", async () => {
    await release("1");
    const r = await run("prod", "deploy");
    expect(r.code, r.stderr + r.stdout).toBe(0);
    for (const h of NAMES) {
      expect(serving(h)).toMatch(new RegExp(`^${ports[0]} \\d{8}-\\d{6}-[0-9a-f]{7}$`));
      const up = readFileSync(path.join(fleet.host(h).home, "apps/capp/nginx/web.conf"), "utf8");
      expect(up).toContain(`upstream capp_web {\n    server ${SLOT_HOST[h]}:${ports[0]};\n}`);
      nginx[h]!.start();
      expect(await get(h)).toEqual([200, "v1"]);
    }
  });

  it("deploy: the new release starts on the idle slot, traffic moves only once it is healthy, an in-flight request finishes on the old slot", async () => {
    await release("2");
    const plan = await run("prod", "deploy", "--plan");
    expect(plan.stdout).toMatch(new RegExp(`start web \\S+ on :${ports[1]}`));
    expect(plan.stdout).toContain(`point nginx upstream capp_web at :${ports[1]}`);
    expect(plan.stdout).toContain(`drain web on :${ports[0]}`);
    const w = watch();
    const slow = get("web1", "/slow");
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    const r = await run("prod", "deploy");
    const took = Date.now() - t0;
    const { sent, seen, failures } = await w.stop();
    expect(r.code, r.stderr + r.stdout).toBe(0);
    // The slow request began on v1 and was answered by v1 after the switch: the drain waited for it.
    expect(await slow).toEqual([200, "slow v1"]);
    expect(took).toBeGreaterThan(1500);
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(20);
    expect([...seen].sort()).toEqual(["web1:v1", "web1:v2", "web2:v1", "web2:v2"]);
    for (const h of NAMES) {
      expect(await get(h)).toEqual([200, "v2"]);
      expect(serving(h).split(" ")[0]).toBe(String(ports[1]));
      expect(slotUp(h, ports[0])).toBe(false);
    }
  });

  it("rollback is the same move: the previous release starts again on the idle slot, then traffic moves", async () => {
    const before = currentOf("web1");
    const w = watch();
    const r = await run("prod", "rollback");
    const { failures, seen } = await w.stop();
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(failures).toEqual([]);
    expect(seen.has("web1:v1")).toBe(true);
    for (const h of NAMES) {
      expect(await get(h)).toEqual([200, "v1"]);
      expect(serving(h).split(" ")[0]).toBe(String(ports[0]));
      expect(slotUp(h, ports[1])).toBe(false);
    }
    expect(currentOf("web1")).not.toBe(before);
  });

  it("a new release that fails its health check never gets traffic, and its processes are stopped", async () => {
    await release("3");
    fleet.asUser("web2", "touch ~/unhealthy-3");
    const w = watch();
    const r = await run("prod", "deploy");
    const { failures, seen } = await w.stop();
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/web2.*unhealthy|service web unhealthy/s);
    expect(failures).toEqual([]);
    expect([...seen].some((s) => s.endsWith("v3"))).toBe(false);
    for (const h of NAMES) {
      expect(await get(h)).toEqual([200, "v1"]);
      expect(serving(h).split(" ")[0]).toBe(String(ports[0]));
      expect(slotUp(h, ports[1])).toBe(false);
    }
    fleet.asUser("web2", "rm -f ~/unhealthy-3");
  });

  it("nginx -t failing stops the deploy before any traffic moves; the upstream file is put back", async () => {
    const upBefore = readFileSync(path.join(fleet.host("web1").home, "apps/capp/nginx/web.conf"), "utf8");
    fleet.asUser("web1", "echo 'this_is_not_a_directive on;' > ~/nginx/extra/bad.conf");
    const w = watch();
    const r = await run("prod", "deploy");
    const { failures } = await w.stop();
    fleet.asUser("web1", "rm ~/nginx/extra/bad.conf");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("nginx -t failed");
    expect(r.stderr).toContain("this_is_not_a_directive");
    expect(failures).toEqual([]);
    expect(readFileSync(path.join(fleet.host("web1").home, "apps/capp/nginx/web.conf"), "utf8")).toBe(upBefore);
    for (const h of NAMES) {
      expect(await get(h)).toEqual([200, "v1"]);
      expect(slotUp(h, ports[1])).toBe(false);
    }
  });

  it("a stray process on the idle slot's port is refused, never health-checked in the new release's place", async () => {
    const stray = spawn("node", ["-e", `require("http").createServer((q, r) => r.end("stray")).listen(${ports[1]}, "${SLOT_HOST.web1}")`], { stdio: "ignore" });
    try {
      await waitFor(() => slotUp("web1", ports[1]));
      const r = await run("prod", "deploy");
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`port ${ports[1]} on ${SLOT_HOST.web1} is already in use by another process`);
      for (const h of NAMES) expect(await get(h)).toEqual([200, "v1"]);
    } finally {
      stray.kill();
    }
  });

  it("a verify failure after the switch brings the old slot back (started again: it was drained) and stops the new one", async () => {
    fleet.asUser("web2", "touch ~/fail-verify");
    const w = watch();
    const r = await run("prod", "deploy");
    const { failures } = await w.stop();
    fleet.asUser("web2", "rm ~/fail-verify");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/switched back/);
    expect(failures).toEqual([]);
    for (const h of NAMES) {
      expect(await get(h)).toEqual([200, "v1"]);
      expect(serving(h).split(" ")[0]).toBe(String(ports[0]));
      expect(slotUp(h, ports[1])).toBe(false);
    }
    // check-services and `service` act on the slot that serves
    const cs = await run("prod", "check-services");
    expect(cs.code, cs.stderr + cs.stdout).toBe(0);
  });

  it("a verify window's failing check reverts by itself through the same cutover, with no failed request", async () => {
    let rate = "0";
    const metric = http.createServer((_q, r) => r.end(rate));
    await new Promise<void>((res) => metric.listen(0, "127.0.0.1", () => res()));
    const mport = (metric.address() as { port: number }).port;
    try {
      writeFileSync(
        path.join(dir, "slipway.yml"),
        config().replace(
          "verify:\n  - test ! -f ~/fail-verify\n",
          `verify:\n  window: 6s\n  interval: 0.3s\n  checks:\n    - { name: error-rate, metric: "http://127.0.0.1:${mport}/rate", max: 0.01 }\n`,
        ),
      );
      await release("5");
      const w = watch();
      const deploying = cliSpawn(["prod", "deploy"], { cwd: dir, env: fleet.env });
      await waitFor(() => NAMES.every((h) => serving(h).startsWith(String(ports[1]))), 30_000);
      rate = "0.5";
      const r = await deploying.done;
      const { failures, seen } = await w.stop();
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/error-rate: 0\.5 > 0\.01/);
      expect(failures).toEqual([]);
      expect(seen.has("web1:v5")).toBe(true);
      for (const h of NAMES) {
        expect(await get(h)).toEqual([200, "v1"]);
        expect(serving(h).split(" ")[0]).toBe(String(ports[0]));
        expect(slotUp(h, ports[1])).toBe(false);
      }
    } finally {
      metric.close();
      writeFileSync(path.join(dir, "slipway.yml"), config());
    }
  });
});
