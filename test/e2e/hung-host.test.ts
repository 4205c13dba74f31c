/**
 * A host that hangs (its sshd and sessions stopped with SIGSTOP) at connect or right before the
 * switch: the CLI never crashes, names the host, and the mixed state is bounded by timeouts.switch.
 */
import { existsSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fleet, IS_ROOT, SKIP_FLEET } from "../fleet.js";
import { cliSpawn, Repo, tmpdir, waitFor, type CliResult } from "../helpers.js";

let fleet: Fleet;
const NAMES = ["web1", "web2", "web3", "web4"];

beforeAll(async () => {
  if (!SKIP_FLEET) fleet = await Fleet.start(NAMES);
}, 60_000);
afterAll(() => {
  if (fleet) for (const n of NAMES) thaw(n);
  fleet?.stop();
});

/** Stop a host's listener and every session process: it accepts TCP and never answers. */
function freezeCommand(name: string): string {
  const h = fleet.host(name);
  return `kill -STOP $(cat ${h.pidFile}); ${IS_ROOT ? `pkill -STOP -u ${h.user}` : "true"}`;
}
function thaw(name: string): void {
  const h = fleet.host(name);
  spawnSync("bash", ["-c", `kill -CONT $(cat ${h.pidFile}) 2>/dev/null; ${IS_ROOT ? `pkill -CONT -u ${h.user}` : "true"}`], { stdio: "ignore" });
}

let seq = 0;
function project(extra = "", envExtra = "") {
  const app = `hung${++seq}`;
  const repo = new Repo(path.join(fleet.gitBase, app));
  const dir = tmpdir();
  writeFileSync(
    path.join(dir, "slipway.yml"),
    `app: ${app}
source: { git: "${fleet.gitUrl(app)}", ref: main }
${extra}
environments:
  prod:
${envExtra}
    hosts:
${NAMES.map((h) => `      - { name: ${h}, address: ${h}, roles: [web] }`).join("\n")}
`,
  );
  const root = (h: string) => path.join(fleet.host(h).home, "apps", app);
  const current = (h: string) => {
    try {
      return readlinkSync(path.join(root(h), "current")).replace("releases/", "");
    } catch {
      return null;
    }
  };
  /** Run the CLI while sampling web1's `current` every 10 ms: how long it showed `newId`. */
  async function deployWatching(args: string[]): Promise<CliResult & { newShownMs: number; newId: string | null }> {
    const before = current("web1");
    const child = cliSpawn(args, { cwd: dir, env: fleet.env });
    let first = 0;
    let last = 0;
    let newId: string | null = null;
    const timer = setInterval(() => {
      const c = current("web1");
      if (c && c !== before) {
        newId ??= c;
        if (c === newId) {
          first ||= Date.now();
          last = Date.now();
        }
      }
    }, 10);
    const r = await child.done;
    clearInterval(timer);
    return { ...r, newShownMs: first ? last - first : 0, newId };
  }
  const history = () =>
    readFileSync(path.join(root("web1"), ".slipway", "history.ndjson"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
  return { app, repo, dir, root, current, deployWatching, history };
}

/** A project with v1 deployed and v2 committed, and the release v1 is. */
async function deployedOnce(extra = "") {
  const p = project(extra);
  p.repo.commit({ VERSION: "1" });
  expect((await p.deployWatching(["prod", "deploy"])).code).toBe(0);
  const good = p.current("web1");
  p.repo.commit({ VERSION: "2" });
  return { p, good };
}

/** Run `fn` with the host frozen from the start (it accepts TCP, never answers), thawed after. */
async function whileFrozenAtConnect<T>(name: string, fn: () => Promise<T>): Promise<T> {
  spawnSync("bash", ["-c", freezeCommand(name)]);
  try {
    return await fn();
  } finally {
    thaw(name);
  }
}

const noCrash = (r: CliResult) => {
  expect(r.stderr).not.toMatch(/internal error|Unhandled|\n\s+at [\w.<>]+ \(/);
};

describe.skipIf(SKIP_FLEET)("a hung host", () => {
  it("frozen right before the switch (all or nothing): others switch back within ~5 s, the summary names it", async () => {
    const p = project(`hooks:\n  before:\n    switch:\n      - run: test ! -f FREEZE_NOW || { ${freezeCommand("web3")}; }\n        local: true`);
    p.repo.commit({ VERSION: "1" });
    const first = await p.deployWatching(["prod", "deploy"]);
    expect(first.code, first.stderr).toBe(0);
    const good = p.current("web1");
    p.repo.commit({ VERSION: "2" });
    writeFileSync(path.join(p.dir, "FREEZE_NOW"), "");
    try {
      const r = await p.deployWatching(["prod", "deploy"]);
      noCrash(r);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/web3: switch timed out after 4 s/);
      expect(r.stderr).toMatch(/switched back to/);
      // With the default limits the other hosts served the new release for at most ~5 s.
      console.log(`mixed state with a host frozen before the switch: ${r.newShownMs} ms`);
      expect(r.newShownMs).toBeLessThan(5500);
      for (const h of ["web1", "web2", "web4"]) expect(p.current(h), h).toBe(good);
      expect(existsSync(path.join(p.root("web1"), ".slipway", "lock"))).toBe(false);
      expect(existsSync(path.join(p.root("web1"), ".slipway", "deploying"))).toBe(false);
      expect(p.history().at(-1)).toMatchObject({ verb: "deploy", outcome: "failed" });
    } finally {
      thaw("web3");
    }
    expect(p.current("web3")).toBe(good);
  });

  it("frozen right before the switch with --allow-partial: the others finish on the new release", async () => {
    const p = project(`hooks:\n  before:\n    switch:\n      - run: test ! -f FREEZE_NOW || { ${freezeCommand("web3")}; }\n        local: true`);
    p.repo.commit({ VERSION: "1" });
    expect((await p.deployWatching(["prod", "deploy"])).code).toBe(0);
    const good = p.current("web1");
    p.repo.commit({ VERSION: "2" });
    writeFileSync(path.join(p.dir, "FREEZE_NOW"), "");
    try {
      const r = await p.deployWatching(["prod", "deploy", "--allow-partial"]);
      noCrash(r);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/to 3 of 4 host\(s\) — PARTIAL/);
      expect(r.stderr).toMatch(/web3: FAILED in switch\+cleanup \(left out\).*timed out/);
      for (const h of ["web1", "web2", "web4"]) expect(readFileSync(path.join(p.root(h), "current", "VERSION"), "utf8")).toBe("2");
      expect(p.history().at(-1)).toMatchObject({ outcome: "partial" });
    } finally {
      thaw("web3");
    }
    expect(p.current("web3")).toBe(good);
  });

  it("stops answering mid-build: noticed within ssh.keepalive × keepalive_count, named, nothing switched", async () => {
    const p = project(
      `ssh: { keepalive: 1, keepalive_count: 2 }\nbuild:\n  - test "$SLIPWAY_HOST" != web3 || test ! -f SLOW || { touch ../../building; sleep 60; }`,
    );
    p.repo.commit({ VERSION: "1" });
    expect((await p.deployWatching(["prod", "deploy"])).code).toBe(0);
    const good = p.current("web1");
    p.repo.commit({ VERSION: "2", SLOW: "" });
    const child = cliSpawn(["prod", "deploy"], { cwd: p.dir, env: fleet.env });
    try {
      await waitFor(() => existsSync(path.join(p.root("web3"), "building")));
      spawnSync("bash", ["-c", freezeCommand("web3")]);
      const frozenAt = Date.now();
      const r = await child.done;
      const noticedMs = Date.now() - frozenAt;
      console.log(`host frozen mid-build: the deploy ended ${noticedMs} ms later`);
      noCrash(r);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/web3: (connection lost|.*timed out)/);
      // 1 s × 2 probes to notice, then a bounded recovery attempt on web3 (timeouts.switch)
      expect(noticedMs).toBeLessThan(12_000);
      for (const h of ["web1", "web2", "web4"]) expect(p.current(h), h).toBe(good);
    } finally {
      thaw("web3");
    }
  });

  it("frozen at connect (all or nothing): a clear host failure, nothing changed, lock released", async () => {
    const { p, good } = await deployedOnce("ssh: { connect_timeout: 3 }");
    const t0 = Date.now();
    const r = await whileFrozenAtConnect("web3", () => p.deployWatching(["prod", "deploy"]));
    noCrash(r);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/web3: cannot connect to .*(timed out|handshake)/i);
    expect(Date.now() - t0).toBeLessThan(15_000);
    for (const h of ["web1", "web2", "web4"]) expect(p.current(h), h).toBe(good);
    expect(existsSync(path.join(p.root("web1"), ".slipway", "lock"))).toBe(false);
  });

  it("frozen at connect with --allow-partial: the reachable hosts are deployed, the frozen one is named", async () => {
    const { p, good } = await deployedOnce("ssh: { connect_timeout: 3 }");
    const r = await whileFrozenAtConnect("web3", () => p.deployWatching(["prod", "deploy", "--allow-partial"]));
    noCrash(r);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/web3: UNREACHABLE \(left out, nothing changed there\)/);
    expect(r.stderr).toMatch(/to 3 of 4 host\(s\) — PARTIAL/);
    for (const h of ["web1", "web2", "web4"]) expect(readFileSync(path.join(p.root(h), "current", "VERSION"), "utf8")).toBe("2");
    expect(p.current("web3")).toBe(good);
  });
});
