/** Services on the ssh fleet with real supervisord per host user: deploy restarts, health, verbs. */
import { execFileSync } from "node:child_process";
import { readFileSync, readlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fleet, freePort, SKIP_FLEET } from "../fleet.js";
import { cli, Repo, runInPty, tmpdir } from "../helpers.js";

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

    // v2 is unhealthy on web2 only: the rolling deploy stops at web2's batch and switches it back;
    // web1 (already healthy on v2) keeps it; worker1 (not reached) keeps v1
    const good = readlinkSync(path.join(fleet.host("web1").home, "apps/sapp/current"));
    fleet.asUser("web2", "touch unhealthy-2");
    repo.commit({ VERSION: "2" });
    r = run("prod", "deploy", "--batch-size", "1");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /web2: restart failed: `wait for web to be healthy \(GET http:\/\/127\.0\.0\.1:\d+\/health\)` exited with 1\n\s+service web unhealthy after 5s: GET http:\/\/127\.0\.0\.1:\d+\/health → 500 \(expected 200\)/,
    );
    expect(r.stderr).toMatch(/rollout stopped at batch 2\/3/);
    expect(r.stderr).toMatch(/web2: switched back to \S+/);
    expect(r.stderr).toMatch(/on the new release \S+: web1\n\s+not reached \(still on their previous release\): worker1/);
    const cur = (h: string) => readlinkSync(path.join(fleet.host(h).home, "apps/sapp/current"));
    expect(cur("web1")).not.toBe(good);
    expect(cur("web2")).toBe(good);
    expect(cur("worker1")).toBe(good);
    expect(await page("web1")).toBe("v2");
    expect(await page("web2")).toBe("v1"); // restart re-run for the old release
    expect(readFileSync(path.join(fleet.host("web1").home, "supervisor/conf.d/sapp-web.conf"), "utf8")).toMatch(/directory=.*apps\/sapp\/current/);
  }, 120_000);
});

describe.skipIf(SKIP_FLEET)("downtime and after-reboot (nginx, command backend)", () => {
  it("downtime start serves the 503 page through nginx and kills stragglers after --kill-after; end restores the app; after-reboot brings a killed host back", async () => {
    const h = fleet.host("web1");
    const nginxPort = await freePort();
    const appPort = await freePort();
    const home = h.home;
    const mdir = `${home}/apps/dapp/shared/maintenance`;
    const nginxConf = `pid ${home}/nginx/nginx.pid;
error_log ${home}/nginx/error.log;
events {}
http {
  access_log off;
  client_body_temp_path ${home}/nginx/tmp-body; proxy_temp_path ${home}/nginx/tmp-proxy;
  fastcgi_temp_path ${home}/nginx/tmp-fcgi; uwsgi_temp_path ${home}/nginx/tmp-uwsgi; scgi_temp_path ${home}/nginx/tmp-scgi;
  server {
    listen 127.0.0.1:${nginxPort};
    error_page 503 /maintenance.html;
    location = /maintenance.html { root ${mdir}; try_files /index.html =503; internal; }
    location / {
      if (-f ${mdir}/on) { return 503; }
      proxy_pass http://127.0.0.1:${appPort};
    }
  }
}`;
    fleet.asUser("web1", `mkdir -p nginx && cat > nginx/nginx.conf <<'NGX'\n${nginxConf}\nNGX\nnginx -p ${home}/nginx -c ${home}/nginx/nginx.conf`);
    const repo = new Repo(path.join(fleet.gitBase, "dapp"));
    const dir = tmpdir();
    writeFileSync(
      path.join(dir, "slipway.yml"),
      `app: dapp
source: { git: "${fleet.gitUrl("dapp")}", ref: main }
after_reboot:
  - echo "unlocked" > ~/volume-unlocked
  - (exec 3<>/dev/tcp/127.0.0.1/${nginxPort}) 2>/dev/null || /usr/sbin/nginx -p ~/nginx -c ~/nginx/nginx.conf
services:
  app:
    backend: command
    order: 10
    start: nohup node server.js > /dev/null 2>&1 < /dev/null & echo $! > ../../shared/app.pid
    stop: kill $(cat ../../shared/app.pid)
    pid_file: shared/app.pid
    health: { http: "http://127.0.0.1:\${PORT}/health", timeout: 10 }
  indexer:
    backend: command
    order: 20
    start: nohup sleep 600 > /dev/null 2>&1 < /dev/null & echo $! > ../../shared/indexer.pid
    stop: "true"
    pid_file: shared/indexer.pid
environments:
  prod:
    hosts:
      - { name: web1, address: web1, roles: [web], env: { PORT: "${appPort}" } }
`,
    );
    const run = (...a: string[]) => cli(a, { cwd: dir, env: fleet.env });
    const curl = () => execFileSync("curl", ["-s", "-w", "\\n%{http_code}", `http://127.0.0.1:${nginxPort}/`], { encoding: "utf8" });
    repo.commit({ "server.js": SERVER, VERSION: "1" });
    let r = run("prod", "deploy");
    expect(r.code, r.stderr).toBe(0);
    expect(curl()).toBe("v1\n200");
    const indexerPid = Number(readFileSync(`${home}/apps/dapp/shared/indexer.pid`, "utf8"));

    r = run("prod", "downtime", "start", "--message", "Back at <b>14:00</b> & later", "--kill-after", "1s");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/terminating:\n\s+web1: indexer pid \d+: sleep 600/);
    const down = curl();
    expect(down).toMatch(/Back at &lt;b&gt;14:00&lt;\/b&gt; &amp; later<\/p>[\s\S]*\n503$/);
    expect(() => process.kill(indexerPid, 0)).toThrow();
    expect(run("prod", "downtime", "status").stdout).toMatch(/web1\s+DOWN \(maintenance page up\)\s+\S+\s+\S+@\S+\s+Back at <b>14:00<\/b> & later/);
    expect(run("prod", "check-services").code).toBe(1);

    r = run("prod", "downtime", "end");
    expect(r.code, r.stderr).toBe(0);
    expect(curl()).toBe("v1\n200");
    expect(run("prod", "check-services").code).toBe(0);

    // interactively: after the stop timeout it lists the stragglers and asks; we answer "t"
    writeFileSync(
      path.join(dir, "slipway.yml"),
      readFileSync(path.join(dir, "slipway.yml"), "utf8").replace("environments:", "maintenance: { stop_timeout: 1 }\nenvironments:"),
    );
    const tty = runInPty([process.execPath, path.resolve("dist/cli/main.js"), "prod", "downtime", "start"], {
      cwd: dir,
      env: fleet.env,
      answers: [{ when: "[t]erminate", send: "t\n" }],
    });
    expect(tty.output).toMatch(/still running:\r?\n\s+web1: indexer pid \d+: sleep 600/);
    expect(tty.output).toMatch(/terminated 1 straggling process/);
    expect(tty.status).toBe(0);
    expect(run("prod", "downtime", "end").code).toBe(0);

    // "reboot": every process of the host's user dies, nginx included
    if (process.getuid?.() === 0) execFileSync("pkill", ["-KILL", "-u", h.user]);
    else
      execFileSync("bash", ["-c", `kill $(cat ${home}/apps/dapp/shared/app.pid) $(cat ${home}/apps/dapp/shared/indexer.pid) $(cat ${home}/nginx/nginx.pid)`]);
    await new Promise((r) => setTimeout(r, 300));
    expect(() => curl()).toThrow();
    expect(run("prod", "check-services").stdout).toMatch(/web1\s+app\s+no live process/);
    r = run("prod", "after-reboot");
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(`${home}/volume-unlocked`, "utf8")).toBe("unlocked\n");
    expect(curl()).toBe("v1\n200");
  }, 120_000);
});
