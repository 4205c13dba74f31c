/** Services on the ssh fleet with real supervisord per host user: deploy restarts, health, verbs. */
import { execFileSync } from "node:child_process";
import { readFileSync, readlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fleet, freePort, SKIP_FLEET } from "../fleet.js";
import { cli, Repo, tmpdir } from "../helpers.js";

let fleet: Fleet;
const NAMES = ["web1", "web2", "worker1"];
const ports: Record<string, number> = {};
beforeAll(async () => {
  if (SKIP_FLEET) return;
  fleet = await Fleet.start(NAMES);
  for (const h of NAMES) {
    fleet.startSupervisord(h);
    ports[h] = await freePort();
  }
}, 60_000);
afterAll(() => fleet?.stop());

const SERVER = `const http = require("http"), fs = require("fs");
const v = fs.readFileSync(__dirname + "/VERSION", "utf8").trim();
http.createServer((q, r) => {
  if (q.url === "/health") { r.statusCode = fs.existsSync(process.env.HOME + "/unhealthy-" + v) ? 500 : 200; return r.end("h"); }
  r.end("v" + v);
}).listen(Number(process.env.PORT), "127.0.0.1");
`;

describe.skipIf(SKIP_FLEET)("services (supervisord)", () => {
  it("deploy restarts services with health checks; check-services and service verbs; a failing check stops the rollout", async () => {
    const repo = new Repo(path.join(fleet.gitBase, "sapp"));
    const dir = tmpdir();
    writeFileSync(
      path.join(dir, "slipway.yml"),
      `app: sapp
source: { git: "${fleet.gitUrl("sapp")}", ref: main }
services:
  web:
    backend: supervisord
    roles: [web]
    command: node server.js
    health: { http: "http://127.0.0.1:\${PORT}/health", timeout: 5 }
environments:
  prod:
    hosts:
${NAMES.map((h) => `      - { name: ${h}, address: ${h}, roles: [${h.startsWith("web") ? "web" : "worker"}], env: { PORT: "${ports[h]}" } }`).join("\n")}
`,
    );
    const run = (...a: string[]) => cli(a, { cwd: dir, env: fleet.env });
    // A fresh connection each time: the server process is replaced by restarts.
    const page = async (h: string) => execFileSync("curl", ["-s", `http://127.0.0.1:${ports[h]}/`], { encoding: "utf8" });
    repo.commit({ "server.js": SERVER, VERSION: "1" });
    let r = run("prod", "deploy");
    expect(r.code, r.stderr).toBe(0);
    expect(await page("web1")).toBe("v1");
    expect(await page("web2")).toBe("v1");
    expect(run("prod", "check-services").stdout).toMatch(/all 2 service instance\(s\) healthy/);

    // a stopped service is found, with its check output; `service web start` brings it back
    fleet.asUser("web2", "supervisorctl -c supervisor/supervisord.conf stop sapp-web");
    r = run("prod", "check-services");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/web2\s+web\s+sapp-web\s+STOPPED/);
    r = run("prod", "service", "web", "start", "--limit", "web2");
    expect(r.code, r.stderr).toBe(0);
    expect(run("prod", "check-services").code).toBe(0);
    expect(run("prod", "service", "all", "status").stdout).toMatch(/web1\s+web\s+ok/);

    // v2 is unhealthy on web2 only: rollout stops there and every host goes back to v1
    const good = readlinkSync(path.join(fleet.host("web1").home, "apps/sapp/current"));
    fleet.asUser("web2", "touch unhealthy-2");
    repo.commit({ VERSION: "2" });
    r = run("prod", "deploy", "--batch-size", "1");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/web2: restart failed: `wait for web to be healthy \(GET http:\/\/127\.0\.0\.1:\d+\/health\)` exited with 1\n\s+service web unhealthy after 5s: GET http:\/\/127\.0\.0\.1:\d+\/health → 500 \(expected 200\)/);
    for (const h of NAMES) expect(readlinkSync(path.join(fleet.host(h).home, "apps/sapp/current"))).toBe(good);
    expect(await page("web1")).toBe("v1"); // restart re-run for the old release
    expect(await page("web2")).toBe("v1");
    expect(readFileSync(path.join(fleet.host("web1").home, "supervisor/conf.d/sapp-web.conf"), "utf8")).toMatch(/directory=.*apps\/sapp\/current/);
  }, 120_000);
});
