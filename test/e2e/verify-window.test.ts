/**
 * The verify window on the ssh fleet: checks repeated after the switch against a real HTTP server
 * (started here) whose error rate the test changes; a failing check reverts every host by itself,
 * in wait mode under the deploy's lock, with `--no-wait` from a detached watcher on each host.
 */
import { existsSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fleet, SKIP_FLEET } from "../fleet.js";
import { cliSpawn, Repo, tmpdir } from "../helpers.js";
import { startWebhook } from "../receivers.js";

let fleet: Fleet;
/** The error rate the metric endpoint answers, and how many times it was asked. */
const metric = { rate: "0", asked: 0, failAfter: Number.POSITIVE_INFINITY };
let server: http.Server;
let metricUrl = "";
let hook: Awaited<ReturnType<typeof startWebhook>>;

beforeAll(async () => {
  if (SKIP_FLEET) return;
  fleet = await Fleet.start(["web1", "web2"]);
  server = http.createServer((_req, res) => {
    metric.asked++;
    res.end(metric.asked > metric.failAfter ? "0.2" : metric.rate);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  metricUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/error-rate`;
  hook = await startWebhook();
}, 60_000);
afterAll(async () => {
  fleet?.stop();
  await hook?.close();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
});

const home = (h: string) => fleet.host(h).home;
/** Each case deploys its own app (its own deploy_to), so cases do not see each other's releases. */
let app = "vapp";
const current = (h: string) => readlinkSync(path.join(home(h), `apps/${app}/current`)).replace("releases/", "");
const statusOf = (h: string, id: string) => readFileSync(path.join(home(h), `apps/${app}/releases`, id, ".slipway/status"), "utf8").trim();
const history = () =>
  readFileSync(path.join(home("web1"), `apps/${app}/.slipway/history.ndjson`), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));

function setup(name: string, window = "3s") {
  app = name;
  const repo = new Repo(path.join(fleet.gitBase, `vapp-${Math.random().toString(36).slice(2, 6)}`));
  const dir = tmpdir();
  writeFileSync(
    path.join(dir, "slipway.yml"),
    `app: ${app}
source: { git: "${fleet.gitUrl(path.basename(repo.dir))}", ref: main }
verify:
  window: ${window}
  interval: 0.5s
  checks:
    - { name: error-rate, metric: "${metricUrl}", max: 0.01 }
    - { name: version, command: "test -f VERSION" }
notify:
  webhooks: [{ url: "${hook.url}" }]
environments:
  prod:
    hosts:
      - { name: web1, address: web1, roles: [web], primary: true }
      - { name: web2, address: web2, roles: [web] }
`,
  );
  const cli = async (...a: string[]) => cliSpawn(a, { cwd: dir, env: fleet.env }).done;
  return { repo, dir, cli };
}

describe.skipIf(SKIP_FLEET)("verify window", () => {
  it("wait mode: a passing window reports its end; an injected error rate reverts every host automatically", async () => {
    const { repo, cli } = setup("vwait");
    metric.rate = "0";
    metric.failAfter = Number.POSITIVE_INFINITY;
    repo.commit({ VERSION: "1" });
    const first = await cli("prod", "deploy");
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/verify window: round 1 ok \(error-rate: 0 <= 0\.01; version: exit 0\)/);
    expect(first.stderr).toMatch(/verify window ended: \d+ round\(s\), all checks ok/);
    const good = current("web1");

    // the third request during the window answers 0.2: the deploy reverts by itself and fails
    repo.commit({ VERSION: "2" });
    metric.asked = 0;
    metric.failAfter = 2;
    const bad = await cli("prod", "deploy");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/verify window failed: check error-rate: 0\.2 > 0\.01 \(on web1, round 3\)\nrolled back automatically to /);
    const newer = history().at(-2)!.release as string;
    expect(newer).not.toBe(good);
    for (const h of ["web1", "web2"]) {
      expect(current(h)).toBe(good);
      expect(statusOf(h, newer)).toBe("bad");
      expect(readFileSync(path.join(home(h), `apps/${app}/current/VERSION`), "utf8")).toBe("1");
    }
    const [deployLine, rollbackLine] = history().slice(-2);
    expect(deployLine).toMatchObject({ verb: "deploy", release: newer, outcome: "ok" });
    expect(rollbackLine).toMatchObject({ verb: "rollback", automatic: true, release: good, fromRelease: newer, outcome: "ok" });
    expect(rollbackLine.evidence).toMatch(/check error-rate: 0\.2 > 0\.01/);
    // the lock was released; the automatic rollback and the failed deploy were notified
    expect(existsSync(path.join(home("web1"), `apps/${app}/.slipway/lock`))).toBe(false);
    expect(hook.posts.find((x) => x.event === "rollback.succeeded")).toMatchObject({
      automatic: true,
      release: good,
      from: newer,
      text: expect.stringMatching(/^automatic rollback of prod to .*: check error-rate: 0\.2 > 0\.01/),
    });
    expect(hook.posts.find((x) => x.event === "deploy.failed")).toMatchObject({ text: expect.stringMatching(/verify window failed: check error-rate/) });
  }, 120_000);

  it("Ctrl-C during the window stops waiting, keeps the new release and releases the lock", async () => {
    const { repo, dir, cli } = setup("vint", "1s");
    metric.rate = "0";
    metric.failAfter = Number.POSITIVE_INFINITY;
    repo.commit({ VERSION: "1" });
    expect((await cli("prod", "deploy")).code).toBe(0);
    const yml = path.join(dir, "slipway.yml");
    writeFileSync(yml, readFileSync(yml, "utf8").replace("window: 1s", "window: 30s"));
    repo.commit({ VERSION: "2" });
    const proc = cliSpawn(["prod", "deploy"], { cwd: dir, env: fleet.env });
    let seen = "";
    let sent = false;
    proc.stderr!.on("data", (c: Buffer) => {
      seen += c.toString();
      // once: a second SIGINT means "quit at once", leaving the lock
      if (!sent && /verify window: round 2 ok/.test(seen)) sent = proc.kill("SIGINT");
    });
    const r = await proc.done;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/verify window interrupted: \d{8}-\d{6}-[0-9a-f]{7} stays current \(nothing was reverted\)/);
    expect(readFileSync(path.join(home("web2"), `apps/${app}/current/VERSION`), "utf8")).toBe("2");
    expect(existsSync(path.join(home("web1"), `apps/${app}/.slipway/lock`))).toBe(false);
    expect(history().at(-1)).toMatchObject({ verb: "deploy", outcome: "ok" });
  }, 120_000);
});

describe.skipIf(SKIP_FLEET)("verify window --no-wait", () => {
  const lockInfo = () => {
    const f = path.join(home("web1"), `apps/${app}/.slipway/lock/info.json`);
    try {
      return JSON.parse(readFileSync(f, "utf8"));
    } catch {
      return null; // not held (or being released while we read)
    }
  };
  /** The watcher's state file ({} until it is first written). */
  const watchState = (h: string, id: string) => {
    const f = path.join(home(h), `apps/${app}/.slipway/watch`, id, "state");
    return existsSync(f) ? JSON.parse(readFileSync(f, "utf8")) : {}; // replaced by rename: never half-written
  };
  async function until(cond: () => boolean, ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error("timed out");
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it("returns at the switch; the detached watchers revert both hosts on an injected error rate; status reports it; the lock is released", async () => {
    const { repo, cli } = setup("vrevert", "30s");
    metric.rate = "0";
    metric.failAfter = Number.POSITIVE_INFINITY;
    repo.commit({ VERSION: "1" });
    const first = await cli("prod", "deploy", "--no-wait");
    expect(first.code, first.stderr).toBe(0);
    const good = current("web1");
    // a first release has nothing to go back to: no watcher, lock released
    expect(first.stderr).toMatch(/verify window skipped: there is no previous release/);
    expect(lockInfo()).toBeNull();

    repo.commit({ VERSION: "2" });
    const t0 = Date.now();
    const second = await cli("prod", "deploy", "--no-wait");
    expect(second.code, second.stderr).toBe(0);
    expect(Date.now() - t0).toBeLessThan(25_000);
    expect(second.stdout + second.stderr).toMatch(
      /verify window: watching \d{8}-\d{6}-[0-9a-f]{7} until .* \(error-rate, version\); the lock is held by the watcher/,
    );
    const newer = current("web1");
    expect(newer).not.toBe(good);
    // the CLI is gone; the watcher holds the lock and reports rounds
    expect(lockInfo()).toMatchObject({ verb: "verify-watch", controlHost: "web1 (watcher)" });
    await until(() => watchState("web1", newer).rounds >= 2 && watchState("web2", newer).rounds >= 2, 10_000);
    const watching = await cli("prod", "status");
    expect(watching.stdout).toMatch(new RegExp(`verify    watching ${newer} until \\d\\d:\\d\\d:\\d\\d UTC \\(\\d+ round\\(s\\) ok\\)`));
    expect(watching.stdout).toMatch(/lock +held by .* verify-watch: "verify window of /);
    // a second deploy is refused while the watcher holds the lock
    const blocked = await cli("prod", "deploy");
    expect(blocked.code).not.toBe(0);
    expect(blocked.stderr).toMatch(/is locked .*verify-watch/);

    metric.rate = "0.2";
    await until(() => ["web1", "web2"].every((h) => watchState(h, newer).status === "reverted") && lockInfo() === null, 15_000);
    metric.rate = "0";
    for (const h of ["web1", "web2"]) {
      expect(current(h)).toBe(good);
      expect(statusOf(h, newer)).toBe("bad");
      expect(watchState(h, newer).evidence).toMatch(new RegExp(`^check error-rate: 0\\.2 > 0\\.01 \\(on ${h}, round \\d+\\)$`));
    }
    const [deployLine, rollbackLine] = history().slice(-2);
    expect(deployLine).toMatchObject({ verb: "deploy", release: newer, outcome: "ok" });
    expect(rollbackLine).toMatchObject({ verb: "rollback", automatic: true, release: good, fromRelease: newer, outcome: "ok" });
    expect(rollbackLine.evidence).toMatch(/^check error-rate: 0\.2 > 0\.01 \(on web1, round \d+\)$/);
    // the primary's watcher posted the automatic rollback to the webhook itself
    await until(() => hook.posts.some((x) => x.event === "rollback.succeeded" && x.from === newer), 5000);
    expect(hook.posts.filter((x) => x.event === "rollback.succeeded" && x.from === newer)).toEqual([
      {
        text: expect.stringMatching(new RegExp(`^automatic rollback of prod to ${good}: check error-rate: 0\\.2 > 0\\.01 \\(on web1, round \\d+\\)$`)),
        event: "rollback.succeeded",
        env: "prod",
        app: "vrevert",
        automatic: true,
        release: good,
        from: newer,
        evidence: rollbackLine.evidence,
      },
    ]);
    const after = await cli("prod", "status");
    expect(after.stdout).toMatch(
      new RegExp(
        `verify    reverted automatically at \\d\\d:\\d\\d:\\d\\d UTC from ${newer} to ${good} \\(check error-rate: 0\\.2 > 0\\.01 \\(on web1, round \\d+\\)\\)`,
      ),
    );
    expect(after.stdout).toMatch(/lock +not held/);
    // the watcher process ends (a zombie counts as ended: this machine's init may not reap it)
    const pid = readFileSync(path.join(home("web1"), `apps/${app}/.slipway/watch`, newer, "pid"), "utf8").trim();
    const ended = () => !existsSync(`/proc/${pid}`) || /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
    await until(ended, 5000);
  }, 120_000);

  it("a window that passes ends by itself and releases the lock", async () => {
    const { repo, cli } = setup("vpass", "4s");
    metric.rate = "0";
    metric.failAfter = Number.POSITIVE_INFINITY;
    repo.commit({ VERSION: "1" });
    expect((await cli("prod", "deploy")).code).toBe(0);
    repo.commit({ VERSION: "2" });
    const r = await cli("prod", "deploy", "--no-wait");
    expect(r.code, r.stderr).toBe(0);
    const newer = current("web1");
    expect(lockInfo()).toMatchObject({ verb: "verify-watch" });
    await until(() => lockInfo() === null, 10_000);
    for (const h of ["web1", "web2"]) expect(watchState(h, newer)).toMatchObject({ status: "passed", release: newer });
    expect(current("web2")).toBe(newer);
    const st = await cli("prod", "status");
    expect(st.stdout).toMatch(new RegExp(`verify    passed for ${newer} \\(\\d+ round\\(s\\), ended`));
    expect(history().at(-1)).toMatchObject({ verb: "deploy", release: newer, outcome: "ok" });
  }, 120_000);
});
