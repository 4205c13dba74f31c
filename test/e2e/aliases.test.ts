/** Aliases, `run -i` and `run --detach/--check` through the built CLI over real sshd hosts. */
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fleet, SKIP_FLEET } from "../fleet.js";
import { cli, cliSpawn, MAIN, Repo, runInPty, tmpdir, waitFor, type CliResult } from "../helpers.js";

let fleet: Fleet;
const NAMES = ["web1", "manage1"];
/** A secret_env value that must show nowhere: not in output (redacted) and not in any process's arguments. */
const SECRET = "tok-4c1f9e-Sekr1t";
const reversed = [...SECRET].reverse().join("");

beforeAll(async () => {
  if (!SKIP_FLEET) fleet = await Fleet.start(NAMES);
}, 60_000);
afterAll(() => fleet?.stop());

const GREET = `#!/bin/bash
echo "greet on $SLIPWAY_HOST in $(basename "$(dirname "$(pwd -P)")")"
for a in "$@"; do echo "arg [$a]"; done
echo "token $GREET_TOKEN reversed $(printf %s "$GREET_TOKEN" | rev)"
if [ -n "$NAP" ]; then touch ~/napping; sleep "$NAP"; fi
exit "\${GREET_EXIT:-0}"
`;

function project() {
  const app = `aliasapp${Math.floor(Math.random() * 1e6)}`;
  const repo = new Repo(path.join(fleet.gitBase, app));
  writeFileSync(path.join(repo.dir, "greet.sh"), GREET);
  chmodSync(path.join(repo.dir, "greet.sh"), 0o755);
  repo.commit({ VERSION: "1" });
  const dir = tmpdir();
  writeFileSync(
    path.join(dir, "slipway.yml"),
    `app: ${app}
source: { git: "${fleet.gitUrl(app)}", ref: main }
secret_env: [GREET_TOKEN]
aliases:
  greet: ./greet.sh
  nap: { command: "NAP=3 ./greet.sh", role: manage, description: "greets, then sleeps 3 s" }
  fail: "GREET_EXIT=4 ./greet.sh"
  ask:
    command: 'ps -eww -o args > ~/ps-during.txt; read -p "name? " n; echo "hi $n from $SLIPWAY_HOST $(printf %s "$GREET_TOKEN" | rev)"; exit 7'
    role: manage
    interactive: true
environments:
  prod:
    hosts:
      - { name: web1, address: web1, roles: [web] }
      - { name: manage1, address: manage1, roles: [manage] }
`,
  );
  const env = { ...fleet.env, GREET_TOKEN: SECRET };
  const run = (...args: string[]): CliResult => cli(args, { cwd: dir, env });
  return { app, dir, env, run, home: (h: string) => fleet.host(h).home };
}

describe.skipIf(SKIP_FLEET)("aliases over ssh", () => {
  it("runs an alias in the current release with secret_env, arguments quoted one by one; its exit code is ours", async () => {
    const p = project();
    expect(p.run("prod", "deploy").code).toBe(0);
    const hostile = ["a b", "it's", "$(touch PWNED)", "--help"];
    let r = p.run("prod", "greet", ...hostile);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      ["greet on web1 in releases", ...hostile.map((a) => `arg [${a}]`), `token [REDACTED] reversed ${reversed}`].map((l) => `${l}\n`).join(""),
    );
    expect(execFileSync("find", [p.home("web1"), "-name", "PWNED"], { encoding: "utf8" })).toBe("");

    r = p.run("prod", "fail");
    expect(r.code).toBe(4);
    expect(r.stdout).toContain("greet on web1");

    // While an alias sleeps on its host, no process anywhere has the secret among its arguments.
    const nap = cliSpawn(["prod", "nap", "x"], { cwd: p.dir, env: p.env });
    await waitFor(() => existsSync(path.join(p.home("manage1"), "napping")), 15_000);
    const ps = execFileSync("ps", ["-eww", "-o", "args"], { encoding: "utf8" });
    // ps sees the alias's own process with its arguments, so a secret among them would show.
    expect(ps).toContain("./greet.sh x");
    expect(ps).not.toContain(SECRET);
    const done = await nap.done;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain("greet on manage1 in releases\narg [x]\n");
  }, 60_000);

  it("an interactive alias answers a prompt through a pseudo-terminal; the secret is in no command line; exit code propagates", () => {
    const p = project();
    expect(p.run("prod", "deploy").code).toBe(0);
    const res = runInPty([process.execPath, MAIN, "prod", "ask"], { cwd: p.dir, env: p.env, answers: [{ when: "name? ", send: "Ada\n" }] });
    expect(res.output).toContain(`hi Ada from manage1 ${reversed}`);
    expect(res.status).toBe(7);
    const ps = readFileSync(path.join(p.home("manage1"), "ps-during.txt"), "utf8");
    // The remote command line (its env file's path, read and deleted by then) is in the capture.
    expect(ps).toMatch(/bash -c __f=.*\.slipway\/runs\/\d{8}-\d{6}-[0-9a-f]{6}\/env/);
    expect(ps).not.toContain(SECRET);
    // The env file was read and removed before the command started.
    expect(
      existsSync(path.join(p.home("manage1"), "apps", p.app, ".slipway", "runs"))
        ? execFileSync("ls", [path.join(p.home("manage1"), "apps", p.app, ".slipway", "runs")], { encoding: "utf8" })
        : "",
    ).toBe("");

    // run -i: the same terminal path for an ad-hoc command, on the role's primary.
    const i = runInPty([process.execPath, MAIN, "prod", "run", "-i", "--role", "web", "--", 'read -p "ok? " a; echo "got $a on $SLIPWAY_HOST"; exit 5'], {
      cwd: p.dir,
      env: p.env,
      answers: [{ when: "ok? ", send: "yes\n" }],
    });
    expect(i.output).toContain("got yes on web1");
    expect(i.status).toBe(5);
  }, 60_000);

  it("run --detach starts a command that outlives the CLI; --check says running (3), then failed with its exit code (1)", async () => {
    const p = project();
    expect(p.run("prod", "deploy").code).toBe(0);
    const start = p.run("prod", "run", "--detach", "--role", "manage", "--", 'echo "step one $SLIPWAY_HOST"; sleep 2; echo "step two"; exit 3');
    expect(start.code, start.stderr).toBe(0);
    const id = start.stdout.trim();
    expect(id).toMatch(/^\d{8}-\d{6}-[0-9a-f]{6}$/);
    expect(start.stderr).toContain(`run --check ${id}`);
    let r = p.run("prod", "run", "--check", id);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toContain(`run ${id} on manage1: running`);
    await waitFor(() => p.run("prod", "run", "--check", id).code !== 3, 15_000);
    r = p.run("prod", "run", "--check", id);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`run ${id} on manage1: failed (exit code 3)`);
    expect(r.stdout).toMatch(/progress \(log tail\):\n\s+step one manage1\n\s+step two/);
    const json = JSON.parse(p.run("--json", "prod", "run", "--check", id).stdout);
    expect(json.hosts.find((h: { host: string }) => h.host === "manage1")).toMatchObject({ status: "failed", exit: 3 });
    expect(p.run("prod", "run", "--check", "20200101-000000-abcdef")).toMatchObject({ code: 1, stdout: expect.stringContaining("not found") });
  }, 60_000);

  it("aliases show in help and completion; a near miss is suggested", () => {
    const p = project();
    expect(p.run("prod", "--help").stdout).toMatch(/Aliases[^\n]*\n(.*\n)*\s+nap\s+greets, then sleeps 3 s/);
    expect(p.run("prod", "gret")).toMatchObject({ code: 2, stderr: 'error: unknown verb "gret" (did you mean `greet`?)\n' });
    const words = p.run("completion", "--complete", "--", "prod", "");
    expect(words.stdout.split("\n")).toEqual(expect.arrayContaining(["greet", "nap", "ask", "deploy"]));
  });
});
