/** SIGKILL the CLI at every phase boundary of a 3-host deploy over SSH; --resume always converges. */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fleet, SKIP_FLEET } from "../fleet.js";
import { cli, cliSpawn, Repo, tmpdir, waitFor } from "../helpers.js";

let fleet: Fleet;
const NAMES = ["web1", "web2", "worker1"];
beforeAll(async () => {
  if (!SKIP_FLEET) fleet = await Fleet.start(NAMES);
}, 60_000);
afterAll(() => fleet?.stop());

const BOUNDARIES = ["lock", "check", "fetch", "link", "build", "switch", "cleanup", "restart", "verify"];

describe.skipIf(SKIP_FLEET)("resume after SIGKILL (ssh fleet)", () => {
  it("converges from a kill at every phase boundary and at a random point inside the build", async () => {
    const repo = new Repo(path.join(fleet.gitBase, "rapp"));
    const dir = tmpdir();
    writeFileSync(
      path.join(dir, "slipway.yml"),
      `app: rapp
source: { git: "${fleet.gitUrl("rapp")}", ref: main }
shared: { dirs: [log] }
build:
  - sleep 0.3; cat VERSION > built.txt
restart:
  - cat VERSION > ../../restarted
verify:
  - test "$(cat built.txt)" = "$(cat VERSION)"
environments:
  prod:
    hosts:
${NAMES.map((h) => `      - { name: ${h}, address: ${h}, roles: [${h.startsWith("web") ? "web" : "worker"}] }`).join("\n")}
`,
    );
    const run = (...a: string[]) => cli(a, { cwd: dir, env: fleet.env });
    const current = (h: string) => readlinkSync(path.join(fleet.host(h).home, "apps/rapp/current")).replace("releases/", "");
    const read = (h: string, f: string) => readFileSync(path.join(fleet.host(h).home, "apps/rapp", f), "utf8");
    repo.commit({ VERSION: "0" });
    expect(run("prod", "deploy").code).toBe(0);

    const points = [...BOUNDARIES.map((b) => ({ boundary: b, delay: 0 })), { boundary: "build-random", delay: 50 + Math.floor(Math.random() * 250) }];
    let v = 0;
    for (const point of points) {
      v++;
      repo.commit({ VERSION: String(v) });
      const child = cliSpawn(["prod", "deploy", "--json"], { cwd: dir, env: fleet.env });
      let buf = "";
      await new Promise<void>((resolve) => {
        const kill = () => {
          child.kill("SIGKILL");
          resolve();
        };
        child.stdout!.on("data", (c: Buffer) => {
          buf += c.toString();
          for (const line of buf.split("\n").slice(0, -1)) {
            const e = JSON.parse(line);
            if (point.boundary === "build-random" && e.type === "host:phase" && e.phase === "build" && e.status === "running") setTimeout(kill, point.delay);
            else if (e.type === "host:phase" && e.phase === point.boundary && e.status === "done") kill();
          }
          buf = buf.slice(buf.lastIndexOf("\n") + 1);
        });
        child.on("close", () => resolve());
      });
      await child.done;
      let r = run("prod", "deploy", "--resume");
      if (/nothing to resume/.test(r.stderr)) {
        // killed before the deploy was recorded: nothing ran on the hosts but the lock
        expect(run("prod", "lock", "release").code).toBe(0);
        r = run("prod", "deploy");
      }
      expect(r.code, `${point.boundary}: ${r.stderr}`).toBe(0);
      const ids = NAMES.map(current);
      expect(new Set(ids).size, `${point.boundary}: ${ids.join(" ")}`).toBe(1);
      for (const h of NAMES) {
        expect(read(h, "current/VERSION"), `${point.boundary} on ${h}`).toBe(String(v));
        expect(read(h, "current/built.txt").trim()).toBe(String(v));
        expect(read(h, `releases/${ids[0]}/.slipway/status`)).toBe("ok");
      }
    }
  }, 180_000);
});

describe.skipIf(SKIP_FLEET)("release management on the ssh fleet", () => {
  function project(app: string, extra = "") {
    const repo = new Repo(path.join(fleet.gitBase, app));
    const dir = tmpdir();
    writeFileSync(
      path.join(dir, "slipway.yml"),
      `app: ${app}
source: { git: "${fleet.gitUrl(app)}", ref: main }
keep_releases: 1
${extra}
environments:
  prod:
    hosts:
${NAMES.map((h) => `      - { name: ${h}, address: ${h}, roles: [${h.startsWith("web") ? "web" : "worker"}] }`).join("\n")}
`,
    );
    const run = (...a: string[]) => cli(a, { cwd: dir, env: fleet.env });
    const runFrom = (stateDir: string, ...a: string[]) => cli(a, { cwd: dir, env: { ...fleet.env, SLIPWAY_STATE_DIR: stateDir } });
    const root = (h: string, sub = app) => path.join(fleet.host(h).home, "apps", sub);
    const current = (h: string, sub = app) => readlinkSync(path.join(root(h, sub), "current")).replace("releases/", "");
    return { repo, dir, run, runFrom, root, current };
  }

  it("resume from a second control machine's state directory; refused when the commit differs or hosts disagree", async () => {
    const p = project("rm1", `build:\n  - test ! -f SLOW || { touch ../../building; sleep 30; }`);
    p.repo.commit({ VERSION: "1" });
    expect(p.run("prod", "deploy").code).toBe(0);
    const good = p.current("web1");
    p.repo.commit({ VERSION: "2", SLOW: "" });
    const child = cliSpawn(["prod", "deploy"], { cwd: p.dir, env: fleet.env });
    await waitFor(() => NAMES.every((h) => existsSync(path.join(p.root(h), "building"))));
    child.kill("SIGKILL");
    await child.done;
    const other = tmpdir();
    p.repo.commit({ VERSION: "3" });
    expect(p.runFrom(other, "prod", "deploy", "--resume", "--ref", "main").stderr).toMatch(/resume refused: the interrupted deploy \S+ is commit/);
    const disagreeing = p.root("worker1");
    execFileSync("bash", ["-c", `cd ${disagreeing} && ln -sfn releases/20200101-000000-0000000 current.x && mv -T current.x current`]);
    expect(p.runFrom(other, "prod", "deploy", "--resume").stderr).toMatch(
      /resume refused: hosts disagree about what is current .*worker1=20200101-000000-0000000/,
    );
    execFileSync("bash", ["-c", `cd ${disagreeing} && ln -sfn releases/${good} current.x && mv -T current.x current`]);
    // let the resumed build run fast
    for (const h of NAMES) execFileSync("bash", ["-c", `rm -f ${path.join(p.root(h), "releases")}/*/SLOW`]);
    const r = p.runFrom(other, "prod", "deploy", "--resume");
    expect(r.code, r.stderr).toBe(0);
    const ids = NAMES.map((h) => p.current(h));
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).not.toBe(good);
  });

  it("a private release survives cleanup until it expires; components are isolated", () => {
    const p = project("rm2", `components:\n  fp:\n    roles: [worker]\n    build:\n      - echo fp > fp.txt`);
    p.repo.commit({ VERSION: "1" });
    expect(p.run("prod", "deploy").code).toBe(0);
    p.repo.commit({ VERSION: "2" });
    const s = p.run("prod", "setup-release", "--keep-days", "2");
    expect(s.code, s.stderr).toBe(0);
    const priv = /web1: .*releases\/(\S+)/.exec(s.stdout)![1]!;
    for (const v of ["3", "4"]) {
      p.repo.commit({ VERSION: v });
      expect(p.run("prod", "deploy").code).toBe(0);
    }
    expect(existsSync(path.join(p.root("web2"), "releases", priv))).toBe(true);
    const mf = path.join(p.root("web2"), "releases", priv, ".slipway", "manifest.json");
    writeFileSync(mf, JSON.stringify({ ...JSON.parse(readFileSync(mf, "utf8")), expiresAt: "2000-01-01T00:00:00Z" }));
    expect(p.run("prod", "clean-releases").stderr).toMatch(new RegExp(`web2: removed ${priv}`));
    expect(existsSync(path.join(p.root("web2"), "releases", priv))).toBe(false);
    expect(existsSync(path.join(p.root("web1"), "releases", priv))).toBe(true); // not expired there
    // components
    const app = p.current("worker1");
    expect(p.run("prod", "deploy", "fp").code).toBe(0);
    expect(readFileSync(path.join(p.root("worker1", "rm2-fp"), "current", "fp.txt"), "utf8")).toBe("fp\n");
    expect(existsSync(p.root("web1", "rm2-fp"))).toBe(false);
    expect(p.current("worker1")).toBe(app);
    p.repo.commit({ VERSION: "5" });
    expect(p.run("prod", "deploy", "fp").code).toBe(0);
    expect(p.run("prod", "rollback", "fp").code).toBe(0);
    expect(readFileSync(path.join(p.root("worker1", "rm2-fp"), "current", "VERSION"), "utf8")).toBe("4");
    expect(p.current("worker1")).toBe(app);
    expect(readFileSync(path.join(p.root("worker1"), "current", "VERSION"), "utf8")).toBe("4");
  });
});
