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

let fleet: Fleet;
/** The error rate the metric endpoint answers, and how many times it was asked. */
const metric = { rate: "0", asked: 0, failAfter: Number.POSITIVE_INFINITY };
let server: http.Server;
let metricUrl = "";

beforeAll(async () => {
  if (SKIP_FLEET) return;
  fleet = await Fleet.start(["web1", "web2"]);
  server = http.createServer((_req, res) => {
    metric.asked++;
    res.end(metric.asked > metric.failAfter ? "0.2" : metric.rate);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  metricUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/error-rate`;
}, 60_000);
afterAll(async () => {
  fleet?.stop();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
});

const home = (h: string) => fleet.host(h).home;
const current = (h: string) => readlinkSync(path.join(home(h), "apps/vapp/current")).replace("releases/", "");
const statusOf = (h: string, id: string) => readFileSync(path.join(home(h), "apps/vapp/releases", id, ".slipway/status"), "utf8").trim();
const history = () =>
  readFileSync(path.join(home("web1"), "apps/vapp/.slipway/history.ndjson"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));

function setup(window = "3s") {
  const repo = new Repo(path.join(fleet.gitBase, `vapp-${Math.random().toString(36).slice(2, 6)}`));
  const dir = tmpdir();
  writeFileSync(
    path.join(dir, "slipway.yml"),
    `app: vapp
source: { git: "${fleet.gitUrl(path.basename(repo.dir))}", ref: main }
verify:
  window: ${window}
  interval: 0.5s
  checks:
    - { name: error-rate, metric: "${metricUrl}", max: 0.01 }
    - { name: version, command: "test -f VERSION" }
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
    const { repo, cli } = setup();
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
      expect(readFileSync(path.join(home(h), "apps/vapp/current/VERSION"), "utf8")).toBe("1");
    }
    const [deployLine, rollbackLine] = history().slice(-2);
    expect(deployLine).toMatchObject({ verb: "deploy", release: newer, outcome: "ok" });
    expect(rollbackLine).toMatchObject({ verb: "rollback", automatic: true, release: good, fromRelease: newer, outcome: "ok" });
    expect(rollbackLine.evidence).toMatch(/check error-rate: 0\.2 > 0\.01/);
    // the lock was released
    expect(existsSync(path.join(home("web1"), "apps/vapp/.slipway/lock"))).toBe(false);
  }, 120_000);
});
