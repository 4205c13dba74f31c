/** Operator output for big fleets: grouped plans, the aggregated live view, colour switches, log names. */
import { readdirSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { basicConfig, cli, MAIN, Project, runInPty, tmpdir } from "../helpers.js";

const names = (n: number) => Array.from({ length: n }, (_, i) => `h${i + 1}`);
const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/\r/g, "");
/** A per-host line of the live view: status icon, then the host name and its phase. */
const HOST_LINE = /^[✔✖·⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] h\d+ +\w/m;

let p: Project;
afterEach(() => p?.cleanup());

function project(hosts: number): Project {
  p = new Project();
  p.repo.commit({ "app.txt": "v1" });
  p.writeConfig(basicConfig('shared: { dirs: [log] }\nbuild: ["echo built"]\n', names(hosts)));
  return p;
}

const pty = (args: string[], env: Record<string, string> = {}) =>
  runInPty([process.execPath, MAIN, ...args], { cwd: p.dir, env: { NO_COLOR: "", ...env }, answers: [] });

describe("deploy --plan on 12 local hosts", () => {
  it("groups the hosts: each host's own deploy_to is $DEPLOY_TO, named once; only the primary's extra line is listed alone", () => {
    project(12);
    const r = p.run("prod", "deploy", "--plan");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("  hosts  h1–h12 (12 hosts), primary h1\n");
    expect(r.stderr).not.toMatch(/MaxListenersExceeded/); // every host in flight listens on the run's one signal
    expect(r.stdout).toContain(`  $DEPLOY_TO = ${p.dir}/hosts/<host>\n`);
    expect(r.stdout).toMatch(
      /fetch\+link\+build on h1–h12 \(one round trip per host\):\n {2}h2–h12 \(11 hosts\):\n {4}fetch {4}\$ mkdir -p \$DEPLOY_TO\/releases/,
    );
    expect(r.stdout).toContain("  h1 (1 host): as h2–h12, except:\n    + fetch    $ record the deploy in progress\n");
    expect(r.stdout).toMatch(/switch\+cleanup on h1–h12 \(one round trip per host\):\n {2}h1–h12 \(12 hosts\):\n/);
    expect(r.stdout).not.toContain(`${p.dir}/hosts/h`);
    // The plan itself fits a screen (the pending-commits block above it is the same at any size).
    expect(r.stdout.slice(r.stdout.indexOf("plan: deploy")).split("\n").length).toBeLessThan(30);
  }, 60_000);
});

describe("the live view on a terminal", () => {
  it("beyond a screenful of hosts shows one line per phase; the summary is printed once with no frame after it", () => {
    project(30);
    const r = pty(["prod", "deploy"]);
    expect(r.status, r.output).toBe(0);
    const text = stripAnsi(r.output);
    expect(text).toMatch(/build +30\/30/);
    expect(text).toMatch(/elapsed \d+\.\d+s/);
    expect(text).not.toMatch(HOST_LINE);
    const end = text.indexOf("done in ");
    expect(end).toBeGreaterThan(0);
    expect(text.indexOf("done in ", end + 1)).toBe(-1);
    const after = text.slice(end);
    expect(after).not.toMatch(/\d+\/30|elapsed/);
  }, 90_000);

  it("a few hosts get a line each, the final one once, above the summary; colour is on by default", () => {
    project(3);
    const r = pty(["prod", "deploy"]);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toMatch(/\x1b\[32m/);
    const text = stripAnsi(r.output);
    expect(text).toMatch(/✔ h1 +\w+/);
    const after = text.slice(text.indexOf("done in "));
    expect(after).not.toMatch(HOST_LINE);
    expect(after).not.toMatch(/elapsed/);
  }, 90_000);

  it("NO_COLOR and --no-color keep cursor control but print no colour codes", () => {
    project(3);
    for (const run of [
      () => pty(["prod", "deploy"], { NO_COLOR: "1" }),
      () => pty(["--no-color", "prod", "deploy"]),
      () => pty(["prod", "deploy", "--no-color"]),
    ]) {
      const r = run();
      expect(r.status, r.output).toBe(0);
      expect(r.output).not.toMatch(/\x1b\[[0-9;]*m/);
      expect(r.output).toMatch(/\x1b\[\d+A/);
      expect(stripAnsi(r.output)).toMatch(/✔ h1 +\w+/);
    }
  }, 120_000);
});

describe("colour never reaches a pipe", () => {
  it("demo piped prints no escape codes", () => {
    const dir = tmpdir();
    const r = cli(["demo"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("▶ deploy v1");
    expect(r.stdout + r.stderr).not.toContain("\x1b");
  }, 120_000);
});

describe("log file names", () => {
  it("contain no spaces even for verbs like `lock acquire`", () => {
    project(2);
    expect(p.run("prod", "lock", "acquire", "-m", "hold").code).toBe(0);
    expect(p.run("prod", "lock", "release").code).toBe(0);
    const logs = readdirSync(path.join(p.dir, ".slipway", "logs"));
    expect(logs.some((f) => f.includes("-lock-acquire-"))).toBe(true);
    for (const f of logs) expect(f).toMatch(/^[A-Za-z0-9._-]+$/);
  }, 60_000);
});
