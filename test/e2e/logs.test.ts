/** `logs` on the ssh fleet with real supervisord: last lines per host, redaction, -f until Ctrl-C, the command backend's log:, missing files, a dead host. */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fleet, SKIP_FLEET } from "../fleet.js";
import { cli, cliSpawn, Repo, tmpdir } from "../helpers.js";

let fleet: Fleet;
const NAMES = ["web1", "web2", "web3"];
beforeAll(async () => {
  if (SKIP_FLEET) return;
  fleet = await Fleet.start(NAMES);
  for (const h of NAMES) fleet.startSupervisord(h);
}, 60_000);
afterAll(() => fleet?.stop());

// Prints numbered lines, the secret it was given, then idles (supervisord keeps it running).
const APP = `for (let i = 1; i <= 10; i++) console.log("line " + i);
console.log("token=" + process.env.APP_TOKEN);
console.log("ready");
setInterval(() => {}, 1 << 30);
`;
const SECRET = "tok-9f3a7c51e2";

const waitFor = async (ok: () => boolean, ms = 10_000) => {
  for (const end = Date.now() + ms; !ok() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 100));
  return ok();
};

describe.skipIf(SKIP_FLEET)("logs", () => {
  it("last N lines per host with prefixes and secrets redacted; -f streams new lines and Ctrl-C stops the remote tails; command backend log:; missing file; dead host", async () => {
    const repo = new Repo(path.join(fleet.gitBase, "lapp"));
    const dir = tmpdir();
    writeFileSync(
      path.join(dir, "slipway.yml"),
      `app: lapp
source: { git: "${fleet.gitUrl("lapp")}", ref: main }
secret_env: [APP_TOKEN]
services:
  web:
    backend: supervisord
    roles: [web]
    command: node app.js
  jobs:
    backend: command
    roles: [jobs]
    start: echo "jobs started" >> ../../shared/jobs.log
    stop: "true"
    log: shared/jobs.log
environments:
  prod:
    hosts:
      - { name: web1, address: web1, roles: [web, jobs] }
      - { name: web2, address: web2, roles: [web] }
      - { name: web3, address: web3, roles: [web] }
`,
    );
    const env = { ...fleet.env, APP_TOKEN: SECRET };
    const run = (...a: string[]) => cli(a, { cwd: dir, env });
    const logFile = (h: string) => path.join(fleet.host(h).home, "apps/lapp/shared/web.log");
    const logText = (h: string) => {
      try {
        return readFileSync(logFile(h), "utf8");
      } catch {
        return "";
      }
    };
    repo.commit({ "app.js": APP });
    let r = run("prod", "deploy");
    expect(r.code, r.stderr).toBe(0);
    expect(await waitFor(() => NAMES.every((h) => logText(h).includes("ready")))).toBe(true);
    // web3's service has not written its log yet (as if it had never started)
    fleet.asUser("web3", "rm apps/lapp/shared/web.log");

    r = run("prod", "logs", "web", "-n", "3");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      [
        "web1 | line 10",
        "web1 | token=[REDACTED]",
        "web1 | ready",
        "web2 | line 10",
        "web2 | token=[REDACTED]",
        "web2 | ready",
        "web3 | (no log file shared/web.log yet)",
        "",
      ].join("\n"),
    );
    expect(r.stdout + r.stderr).not.toContain(SECRET);

    // every service: host and service prefixes; the command backend reads its log: file
    r = run("prod", "logs", "-n", "1");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split("\n")).toEqual([
      "web1 web  | ready",
      "web1 jobs | jobs started",
      "web2 web  | ready",
      "web3 web  | (no log file shared/web.log yet)",
      "",
    ]);

    // --since on untimestamped files: every line kept, with a warning saying why
    r = run("prod", "logs", "web", "-n", "1", "--since", "10m", "--limit", "web1");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("web1 | ready\n");
    expect(r.stderr).toMatch(/web1: lines do not start with an ISO timestamp, so --since cannot filter them/);

    // -f: the backlog, then a line written after it started; Ctrl-C ends it (exit 0) and no tail is left.
    // --since puts an awk after tail: GNU tail alone notices its reader is gone, awk waiting on tail does not.
    const child = cliSpawn(["prod", "logs", "web", "-f", "-n", "1", "--since", "1h"], { cwd: dir, env });
    let out = "";
    child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
    try {
      expect(await waitFor(() => out.includes("web1 | ready") && out.includes("web2 | ready") && out.includes("web3 | (no log file"))).toBe(true);
      fleet.asUser("web1", `echo "after start ${SECRET}" >> apps/lapp/shared/web.log`);
      fleet.asUser("web3", `echo "web3 is back" >> apps/lapp/shared/web.log`);
      expect(await waitFor(() => out.includes("web1 | after start [REDACTED]\n") && out.includes("web3 | web3 is back\n")), out).toBe(true);
      const t0 = Date.now();
      child.kill("SIGINT");
      const done = await Promise.race([child.done, new Promise<never>((_, no) => setTimeout(() => no(new Error("logs -f did not end after SIGINT")), 5000))]);
      expect(done.code, done.stderr).toBe(0);
      expect(Date.now() - t0).toBeLessThan(3000);
      expect(done.stdout).not.toContain(SECRET);
    } finally {
      child.kill("SIGKILL");
    }
    // A killed tail may show as a zombie for a moment, until its parent shell reaps it.
    const tails = (h: string) => fleet.asUser(h, 'pgrep -u "$(id -un)" -a -x "tail|awk|mawk" || true').trim();
    for (const h of NAMES) expect(await waitFor(() => tails(h) === "", 2000), `${h} still runs: ${tails(h)}`).toBe(true);

    // a dead host is a line and exit 1; the others are still printed
    fleet.killHost("web3");
    r = run("prod", "logs", "web", "-n", "1");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^web1 \| after start \[REDACTED\]\nweb2 \| ready\nweb3 \| \(unreachable: .+\)\n$/);
    expect(r.stderr).toMatch(/could not read 1 of 3 log\(s\):\n\s*web3: unreachable/);
  }, 120_000);
});
