/** Locking end to end: concurrent deploys, manual locks, waiting, stale holders, Ctrl-C. */
import { mkdirSync, writeFileSync, existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { basicConfig, cliSpawn, Project } from "../helpers.js";
import { waitFor } from "../helpers.js";

let p: Project;
afterEach(() => p?.cleanup());

describe("lock", () => {
  it("two concurrent deploys: exactly one proceeds, the other fails at once naming the holder", async () => {
    p = new Project();
    p.repo.commit({ VERSION: "1" });
    p.writeConfig(basicConfig(`build:\n  - touch ../../building; sleep 1.5`));
    const a = cliSpawn(["prod", "deploy", "-m", "first one"], { cwd: p.dir });
    await waitFor(() => existsSync(path.join(p.hostDir("h1"), "building")));
    const b = cliSpawn(["prod", "deploy"], { cwd: p.dir });
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code).toBe(1);
    expect(rb.stderr).toMatch(/prod is locked \(on h1\): held by \S+@\S+ for \d+s; deploy: "first one"; pid \d+ on /);
    expect(p.releases("h1")).toHaveLength(1);
  });

  it("lock acquire blocks deploys until release; status shows who and why", () => {
    p = new Project();
    p.repo.commit({ VERSION: "1" });
    p.writeConfig(basicConfig());
    let r = p.run("prod", "lock", "acquire", "-m", "db maintenance");
    expect(r.code, r.stderr).toBe(0);
    r = p.run("prod", "lock", "status");
    expect(r.stdout).toMatch(/prod \(on h1\) is locked: held by .* manual lock: "db maintenance"/);
    r = p.run("prod", "deploy");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/manual lock: "db maintenance"/);
    r = p.run("prod", "lock", "release");
    expect(r.stdout).toMatch(/lock released/);
    expect(p.run("prod", "lock", "status").stdout).toMatch(/is not locked/);
    expect(p.run("prod", "deploy").code).toBe(0);
    expect(p.run("prod", "lock", "acquire").code).toBe(2); // -m is required
  });

  it("--lock-wait waits for the holder to finish", async () => {
    p = new Project();
    p.repo.commit({ VERSION: "1" });
    // Long enough that the second CLI starts and asks for the lock while the first holds it, even on a loaded machine.
    p.writeConfig(basicConfig(`build:\n  - touch ../../building; sleep 3`));
    const a = cliSpawn(["prod", "deploy"], { cwd: p.dir });
    await waitFor(() => existsSync(path.join(p.hostDir("h1"), "building")));
    const b = cliSpawn(["prod", "deploy", "--lock-wait", "30s"], { cwd: p.dir });
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    expect(rb.stderr).toMatch(/waiting for the lock/);
    expect(p.releases("h1")).toHaveLength(2);
  });

  it("a lock whose holder process is gone is reported as stale with the command that clears it", () => {
    p = new Project();
    p.repo.commit({ VERSION: "1" });
    p.writeConfig(basicConfig());
    mkdirSync(path.join(p.hostDir("h1"), ".slipway", "lock"), { recursive: true });
    const info = {
      token: "x",
      who: "ghost@" + os.hostname(),
      reason: "",
      verb: "deploy",
      since: new Date(Date.now() - 600_000).toISOString(),
      version: "0.1.0",
      controlHost: os.hostname(),
      pid: 2 ** 22 + 12345,
      manual: false,
    };
    writeFileSync(path.join(p.hostDir("h1"), ".slipway", "lock", "info.json"), JSON.stringify(info));
    const r = p.run("prod", "lock", "status");
    expect(r.stdout).toMatch(/held by ghost@.* for 10m/);
    expect(r.stdout).toMatch(/the holder process is gone: the lock is stale. Clear it with: slipway prod lock release/);
    expect(p.run("prod", "deploy").stderr).toMatch(/stale/);
  });

  it("SIGINT mid-build stops the build, releases the lock, keeps current valid and marks the release failed", async () => {
    p = new Project();
    p.repo.commit({ VERSION: "1" });
    p.writeConfig(basicConfig(`build:\n  - test ! -f SLOW || { touch ../../building; sleep 30; touch ../../not-killed; }`));
    expect(p.run("prod", "deploy").code).toBe(0);
    const good = p.current("h1");
    p.repo.commit({ VERSION: "2", SLOW: "" });
    const a = cliSpawn(["prod", "deploy"], { cwd: p.dir });
    await waitFor(() => existsSync(path.join(p.hostDir("h1"), "building")) && existsSync(path.join(p.hostDir("h2"), "building")));
    a.kill("SIGINT");
    const r = await a.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/deploy interrupted/);
    expect(p.lockExists("h1")).toBe(false);
    for (const h of ["h1", "h2"]) {
      expect(p.current(h)).toBe(good);
      expect(p.read(h, "current/VERSION")).toBe("1");
      const newest = p.releases(h).at(-1)!;
      expect(p.status(h, newest)).toBe("failed");
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(existsSync(path.join(p.hostDir("h1"), "not-killed"))).toBe(false);
    const hist = p
      .read("h1", ".slipway/history.ndjson")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(hist.at(-1).outcome).toBe("interrupted");
  });
});
