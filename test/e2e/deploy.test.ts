/** End-to-end: the built CLI deploying a real git repo to local hosts in temp dirs. */
import { existsSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { basicConfig, Project } from "../helpers.js";

let p: Project;
afterEach(() => p?.cleanup());

describe("deploy", () => {
  it("first deploy builds the exact commit, links shared paths, switches current and records history", () => {
    p = new Project();
    const sha = p.repo.commit({ "index.html": "v1", VERSION: "1" });
    p.writeConfig(basicConfig(`shared:\n  dirs: [log]\nbuild:\n  - echo built-$SLIPWAY_RELEASE > build.txt`));
    const r = p.run("prod", "deploy", "-m", "first");
    expect(r.code, r.stderr).toBe(0);
    for (const h of ["h1", "h2"]) {
      const id = p.current(h)!;
      expect(id).toMatch(new RegExp(`^\\d{8}-\\d{6}-${sha.slice(0, 7)}$`));
      expect(p.read(h, "current/index.html")).toBe("v1");
      expect(p.read(h, "current/build.txt").trim()).toBe(`built-${id}`);
      expect(readlinkSync(path.join(p.hostDir(h), "current/log"))).toBe(path.join(p.hostDir(h), "shared/log"));
      expect(p.status(h, id)).toBe("ok");
      const manifest = JSON.parse(p.read(h, `releases/${id}/.slipway/manifest.json`));
      expect(manifest).toMatchObject({ id, commit: sha, ref: "main", app: "testapp", env: "prod", previous: null });
      expect(manifest.deployedBy).toMatch(/@/);
      if (h === "h1") {
        // the deploy log lives on the primary host
        const hist = p
          .read(h, ".slipway/history.ndjson")
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l));
        expect(hist).toHaveLength(1);
        expect(hist[0]).toMatchObject({ verb: "deploy", release: id, toCommit: sha, fromCommit: null, outcome: "ok" });
      }
      // distribute: push (the default): the files came over the connection; the host keeps no git mirror.
      expect(existsSync(path.join(p.hostDir(h), "repo"))).toBe(false);
    }
    expect(p.current("h1")).toBe(p.current("h2"));
    expect(r.stderr).toMatch(/log: .*\.log/);
    expect(p.lockExists("h1")).toBe(false);
  });

  it("redeploy creates a second release; current moves; the first stays as the rollback target", () => {
    p = new Project();
    const a = p.repo.commit({ "index.html": "v1" });
    p.writeConfig(basicConfig());
    expect(p.run("prod", "deploy").code).toBe(0);
    const first = p.current("h1")!;
    const b = p.repo.commit({ "index.html": "v2" });
    const r = p.run("prod", "deploy");
    expect(r.code, r.stderr).toBe(0);
    const second = p.current("h1")!;
    expect(second).not.toBe(first);
    expect(p.read("h1", "current/index.html")).toBe("v2");
    expect(p.releases("h1")).toEqual([first, second]);
    const hist = p
      .read("h1", ".slipway/history.ndjson")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(hist[1]).toMatchObject({ fromCommit: a, toCommit: b, fromRelease: first, release: second });
  });

  it("deploys the commit resolved at the start even with --ref to a tag", () => {
    p = new Project();
    const v1 = p.repo.commit({ f: "1" });
    p.repo.git("tag", "-a", "v1.0", "-m", "release");
    p.repo.commit({ f: "2" });
    p.writeConfig(basicConfig());
    const r = p.run("prod", "deploy", "--ref", "v1.0");
    expect(r.code, r.stderr).toBe(0);
    expect(p.read("h2", "current/f")).toBe("1");
    expect(JSON.parse(p.read("h2", `releases/${p.current("h2")}/.slipway/manifest.json`)).commit).toBe(v1);
  });

  it("a failing build leaves current untouched on every host, marks the release failed and names host, phase, command, exit code and stderr", () => {
    p = new Project();
    p.repo.commit({ "index.html": "v1" });
    p.writeConfig(basicConfig(`build:\n  - test -f FAIL && { echo "compile error in FAIL" >&2; exit 7; } || true`));
    expect(p.run("prod", "deploy").code).toBe(0);
    const good = p.current("h1")!;
    p.repo.commit({ "index.html": "v2", FAIL: "" });
    const r = p.run("prod", "deploy");
    expect(r.code).toBe(1);
    const tail = r.stderr.trim().split("\n").slice(-12).join("\n");
    expect(tail).toMatch(/h[12]: build failed: `test -f FAIL/);
    expect(tail).toMatch(/exited with 7/);
    expect(tail).toMatch(/compile error in FAIL/);
    for (const h of ["h1", "h2"]) {
      expect(p.current(h)).toBe(good);
      expect(p.read(h, "current/index.html")).toBe("v1");
      const failed = p.releases(h).find((id) => id !== good)!;
      expect(p.status(h, failed)).toBe("failed");
      if (h === "h1") expect(JSON.parse(p.read(h, ".slipway/history.ndjson").trim().split("\n").pop()!).outcome).toBe("failed");
    }
    expect(p.lockExists("h1")).toBe(false);
  });

  it("a failing build on one host only: no host switches", () => {
    p = new Project();
    p.repo.commit({ "index.html": "v1" });
    p.writeConfig(basicConfig(`build:\n  - test "$SLIPWAY_HOST" != h2 || test ! -f FAIL`));
    expect(p.run("prod", "deploy").code).toBe(0);
    const good = p.current("h1");
    p.repo.commit({ FAIL: "" });
    const r = p.run("prod", "deploy");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/h2: build failed/);
    expect(r.stderr).toMatch(/h1: not switched/);
    expect(p.current("h1")).toBe(good);
    expect(p.current("h2")).toBe(good);
  });

  it("a failing verify after the switch switches every host back and re-runs restart for the old release", () => {
    p = new Project();
    p.repo.commit({ VERSION: "1" });
    p.writeConfig(
      basicConfig(`restart:\n  - cat VERSION >> "$SLIPWAY_APP.restarts"; cat VERSION > ../../restarted-with\nverify:\n  - test "$(cat VERSION)" != 2`),
    );
    expect(p.run("prod", "deploy").code).toBe(0);
    const good = p.current("h1");
    p.repo.commit({ VERSION: "2" });
    const r = p.run("prod", "deploy");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/verify failed/);
    expect(r.stderr).toMatch(/switched back to/);
    for (const h of ["h1", "h2"]) {
      expect(p.current(h)).toBe(good);
      expect(p.read(h, "restarted-with").trim()).toBe("1");
    }
  });

  it("a failure after the first-ever switch removes current instead of leaving a broken release live", () => {
    p = new Project();
    p.repo.commit({ x: "1" });
    p.writeConfig(basicConfig(`verify:\n  - "false"`));
    const r = p.run("prod", "deploy");
    expect(r.code).toBe(1);
    expect(p.current("h1")).toBeNull();
    expect(r.stderr).toMatch(/current removed/);
  });

  it("--plan prints hosts × phases × commands and changes nothing", () => {
    p = new Project();
    p.repo.commit({ x: "1" });
    p.writeConfig(basicConfig(`build:\n  - make assets\nmigrate:\n  - ./manage.py migrate`));
    const r = p.run("prod", "deploy", "--plan");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/plan: deploy prod release \d{8}-\d{6}-/);
    expect(r.stdout).toMatch(/fetch\+link\+build on h1, h2/);
    expect(r.stdout).toMatch(/build\s+\$ make assets/);
    expect(r.stdout).toMatch(/migrate\s+on h1 \(one round trip per host\)/);
    expect(r.stdout).toMatch(/switch current → releases\//);
    expect(existsSync(p.hostDir("h1"))).toBe(false);
    expect(existsSync(path.join(p.dir, ".slipway", "state.db"))).toBe(false);
  });

  it("--json streams NDJSON events ending in run:end", () => {
    p = new Project();
    p.repo.commit({ x: "1" });
    p.writeConfig(basicConfig());
    const r = p.run("prod", "deploy", "--json");
    expect(r.code, r.stderr).toBe(0);
    const events = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(events.some((e) => e.type === "run:start" && e.releaseId)).toBe(true);
    expect(
      events
        .filter((e) => e.type === "host:phase" && e.phase === "switch" && e.status === "done")
        .map((e) => e.host)
        .sort(),
    ).toEqual(["h1", "h2"]);
    expect(events.at(-1)).toMatchObject({ type: "run:end", ok: true });
  });

  it("source: dir uploads a directory as the release", () => {
    p = new Project();
    p.writeConfig(basicConfig().replace("  git: ./app\n  ref: main", "  dir: ./site"));
    mkdirSync(path.join(p.dir, "site"));
    writeFileSync(path.join(p.dir, "site", "page.html"), "hi");
    const r = p.run("prod", "deploy");
    expect(r.code, r.stderr).toBe(0);
    expect(p.read("h1", "current/page.html")).toBe("hi");
    expect(readFileSync(path.join(p.hostDir("h1"), "releases", p.current("h1")!, ".slipway", "status"), "utf8")).toBe("ok");
  });
});

describe("hooks", () => {
  it("before/after hooks run around phases on hosts and locally; on_failure runs when a deploy fails", () => {
    p = new Project();
    p.repo.commit({ VERSION: "1" });
    p.writeConfig(
      basicConfig(`build:
  - echo build >> ../../order
  - test ! -f FAIL
hooks:
  before:
    build: [echo before-build >> ../../order]
    switch:
      - run: echo "local before switch on $SLIPWAY_RELEASE" >> local-hooks.log
        local: true
  after:
    switch: [echo after-switch >> ../../order]
  on_failure:
    - echo "failed $SLIPWAY_FAILED_RELEASE" >> on-failure.log
    - run: echo local-failure >> local-hooks.log
      local: true`),
    );
    const r = p.run("prod", "deploy");
    expect(r.code, r.stderr).toBe(0);
    expect(p.read("h1", "order")).toBe("before-build\nbuild\nafter-switch\n");
    expect(readFileSync(path.join(p.dir, "local-hooks.log"), "utf8")).toBe(`local before switch on ${p.current("h1")}\n`);
    p.repo.commit({ FAIL: "" });
    expect(p.run("prod", "deploy").code).toBe(1);
    const failed = p.releases("h1").at(-1);
    expect(p.read("h2", "on-failure.log")).toBe(`failed ${failed}\n`);
    expect(readFileSync(path.join(p.dir, "local-hooks.log"), "utf8")).toMatch(/local-failure\n$/);
  });
});

describe("dependencies", () => {
  it("reuses an installed dependency directory when its lockfile is unchanged, reinstalls when it changes", () => {
    p = new Project();
    p.repo.commit({ "deps.lock": "a=1", VERSION: "1" });
    p.writeConfig(basicConfig(`dependencies:\n  - path: deps\n    lockfile: deps.lock\n    install: mkdir deps && date +%s%N > deps/installed`));
    expect(p.run("prod", "deploy").code).toBe(0);
    const first = p.read("h1", "current/deps/installed");
    p.repo.commit({ VERSION: "2" });
    const r = p.run("prod", "deploy", "-v");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/reused deps from \S+ \(deps.lock unchanged\)/);
    expect(p.read("h1", "current/deps/installed")).toBe(first);
    p.repo.commit({ "deps.lock": "a=2" });
    expect(p.run("prod", "deploy").code).toBe(0);
    expect(p.read("h1", "current/deps/installed")).not.toBe(first);
  });
});
