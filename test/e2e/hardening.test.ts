/**
 * Hardening regressions on local hosts: cleanup never removes the live release, recovery marks a
 * release failed even when its own restart fails, and hostile host state is parsed, not obeyed.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { basicConfig, cliSpawn, Project, tick, tmpdir, waitFor } from "../helpers.js";

let p: Project;
afterEach(() => p?.cleanup());

function deploy(version: string, files: Record<string, string> = {}): string {
  p.repo.commit({ VERSION: version, ...files });
  const r = p.run("prod", "deploy");
  expect(r.code, r.stderr).toBe(0);
  return p.current("h1")!;
}

describe("cleanup and recovery keep what a switch-back needs", () => {
  it("a deploy after rolling back to a bad release keeps that live release, and a failed verify returns to it", () => {
    p = new Project();
    // verify fails for the release that carries FAIL_VERIFY
    p.writeConfig(basicConfig(`verify:\n  - test ! -e FAIL_VERIFY`));
    const a = deploy("1");
    const b = deploy("2");
    expect(p.run("prod", "rollback").code).toBe(0); // → a; b marked bad
    const r0 = p.run("prod", "rollback", b);
    expect(r0.code, r0.stderr).toBe(0); // → b by name; b stays bad, a marked bad
    expect(p.status("h1", b)).toBe("bad");
    p.repo.commit({ VERSION: "3", FAIL_VERIFY: "x" });
    const r = p.run("prod", "deploy");
    expect(r.code).toBe(1);
    for (const h of ["h1", "h2"]) {
      expect(p.current(h)).toBe(b);
      expect(existsSync(path.join(p.hostDir(h), "releases", b, "VERSION")), `${h}: live release ${b} was removed`).toBe(true);
      expect(p.read(h, "current/VERSION")).toBe("2");
    }
    expect(r.stderr).toMatch(/switched back to/);
    expect(a).not.toBe(b);
  });

  it("marks the release failed even when the restart of the old release fails during recovery", () => {
    p = new Project();
    // The new release's verify fails and breaks restarts from then on, so recovery's restart fails too.
    p.writeConfig(basicConfig(`restart:\n  - test ! -e ../../break-restart\nverify:\n  - if [ -e FAIL_VERIFY ]; then touch ../../break-restart; exit 1; fi`));
    const a = deploy("1");
    p.repo.commit({ VERSION: "2", FAIL_VERIFY: "x" });
    const r = p.run("prod", "deploy");
    expect(r.code).toBe(1);
    const b = p.releases("h1").find((id) => id !== a)!;
    for (const h of ["h1", "h2"]) {
      expect(p.status(h, b)).toBe("failed");
      expect(p.current(h)).toBe(a);
    }
    expect(r.stderr).toMatch(/RECOVERY FAILED/);
    // A failed release is never a rollback target.
    expect(p.run("prod", "rollback", b).stderr).toMatch(/is failed; refusing/);
  });
});

describe("host state is parsed, never obeyed", () => {
  it("a release directory name with a newline cannot forge a `..` entry for cleanup", () => {
    p = new Project();
    p.writeConfig(basicConfig());
    const a = deploy("1");
    const forged = path.join(p.hostDir("h1"), "releases", "20200101-000000-0000000\nREL\t..\tfailed\t");
    mkdirSync(forged, { recursive: true });
    const r = p.run("prod", "cleanup");
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(path.join(p.hostDir("h1"), "releases", a, "VERSION"))).toBe(true);
    expect(existsSync(path.join(p.hostDir("h1"), "current"))).toBe(true);
    expect(existsSync(forged)).toBe(true); // not ours: reported, left alone
    expect(r.stderr).toMatch(/is not a release id/);
    const d = p.run("prod", "deploy");
    expect(d.code, d.stderr).toBe(0);
    expect(p.read("h1", "current/VERSION")).toBe("1");
  });

  it("a `deploying` record whose commit is a git option never reaches git", () => {
    p = new Project();
    p.writeConfig(basicConfig());
    const a = deploy("1");
    const marker = path.join(tmpdir(), "pwned");
    const record = {
      release: "20991231-235959-abcdef0",
      commit: `--upload-pack=touch ${marker};`,
      ref: "main",
      by: "mallory",
      startedAt: new Date().toISOString(),
      previous: a,
    };
    writeFileSync(path.join(p.hostDir("h1"), ".slipway", "deploying"), JSON.stringify(record) + "\n");
    const r = p.run("prod", "deploy", "--resume");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nothing to resume/);
    expect(r.stderr).toMatch(/deploying\.commit: expected a 40-character hex commit/);
    expect(existsSync(marker)).toBe(false);
    expect(p.current("h1")).toBe(a);
  });

  it("a ref that looks like a git option is refused before git sees it", () => {
    p = new Project();
    p.writeConfig(basicConfig());
    p.repo.commit({ VERSION: "1" });
    const marker = path.join(tmpdir(), "pwned");
    for (const verb of [["deploy"], ["deploy", "--plan"]]) {
      const r = p.run("prod", ...verb, `--ref=--upload-pack=touch ${marker};`);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/invalid ref "--upload-pack=/);
    }
    expect(existsSync(marker)).toBe(false);
  });

  it("read-only verbs survive a `null` history line, an empty manifest and a current link outside releases/", () => {
    p = new Project();
    p.writeConfig(basicConfig());
    const a = deploy("1");
    const b = deploy("2");
    const hist = path.join(p.hostDir("h1"), ".slipway", "history.ndjson");
    writeFileSync(hist, "null\n{}\nnot json\n" + readFileSync(hist, "utf8"));
    writeFileSync(path.join(p.hostDir("h1"), "releases", a, ".slipway", "manifest.json"), "{}\n");
    let r = p.run("prod", "history");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(b);
    expect(r.stderr).toMatch(/skipped a malformed history entry/);
    r = p.run("prod", "releases");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(a);
    expect(r.stdout).toContain(b);
    expect(r.stderr).toMatch(/manifest\.json/);
    r = p.run("prod", "releases", "--json");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).h1.releases.length).toBe(2);
    // `current` pointing outside releases/: read-only verbs report it, deploy and rollback refuse
    const cur = path.join(p.hostDir("h2"), "current");
    rmSync(cur);
    symlinkSync("../../etc", cur);
    r = p.run("prod", "releases");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/\[h2\].*current points at "\.\.\/\.\.\/etc", which is not a release directory/);
    r = p.run("prod", "deploy");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/deploy refused:\s+h2: current points at "\.\.\/\.\.\/etc"/);
    expect(p.run("prod", "rollback").stderr).toMatch(/rollback refused:\s+h2: current points at/);
    expect(readlinkSync(cur)).toBe("../../etc");
  });
});

describe("resume ships what the deploy started with", () => {
  it("a `source: dir` deploy resumed after its directory changed is refused; restored, it resumes", async () => {
    p = new Project();
    const site = path.join(p.dir, "site");
    mkdirSync(site);
    writeFileSync(path.join(site, "index.html"), "v1");
    p.writeConfig(
      basicConfig(`build:\n  - test -f ../../go || { touch ../../building; sleep 30; }`).replace(
        "source:\n  git: ./app\n  ref: main",
        "source:\n  dir: ./site",
      ),
    );
    for (const h of ["h1", "h2"]) {
      mkdirSync(p.hostDir(h), { recursive: true });
      writeFileSync(path.join(p.hostDir(h), "go"), "");
    }
    expect(p.run("prod", "deploy").code).toBe(0);
    const good = p.current("h1");
    for (const h of ["h1", "h2"]) rmSync(path.join(p.hostDir(h), "go"));
    writeFileSync(path.join(site, "index.html"), "v2");
    const a = cliSpawn(["prod", "deploy"], { cwd: p.dir });
    await waitFor(() => existsSync(path.join(p.hostDir("h1"), "building")) && existsSync(path.join(p.hostDir("h2"), "building")));
    a.kill("SIGKILL");
    await a.done;
    for (const h of ["h1", "h2"]) writeFileSync(path.join(p.hostDir(h), "go"), "");
    writeFileSync(path.join(site, "index.html"), "v3 edited after the kill");
    let r = p.run("prod", "deploy", "--resume");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/resume refused: .*site changed since the interrupted deploy/);
    expect(p.current("h1")).toBe(good);
    writeFileSync(path.join(site, "index.html"), "v2");
    r = p.run("prod", "deploy", "--resume");
    expect(r.code, r.stderr).toBe(0);
    for (const h of ["h1", "h2"]) expect(p.read(h, "current/index.html")).toBe("v2");
  });
});

describe("dependency sets live at a stable path", () => {
  it("a Python virtualenv keeps working after the release that built it is cleaned up; unused sets are pruned", async () => {
    p = new Project();
    p.writeConfig(
      basicConfig(
        `dependencies:\n  - path: .venv\n    lockfile: requirements.txt\n    install: python3 -m venv .venv && .venv/bin/pip install -q -r requirements.txt && echo install >> ../../installs\nbuild:\n  - .venv/bin/pip --version`,
        ["h1"],
      ),
    );
    const first = deploy("1", { "requirements.txt": "# no packages\n" });
    for (let v = 2; v <= 5; v++) {
      await tick();
      deploy(String(v));
    }
    expect(p.releases("h1")).not.toContain(first); // cleaned: keep_releases 3
    const pip = path.join(p.hostDir("h1"), "current", ".venv", "bin", "pip");
    expect(execFileSync(pip, ["--version"], { encoding: "utf8" })).toMatch(/^pip /);
    expect(p.read("h1", "installs")).toBe("install\n"); // installed once, reused four times
    const sets = () => readdirSync(path.join(p.hostDir("h1"), "deps"));
    expect(sets()).toHaveLength(1);
    // a new lockfile makes a new set; once no kept release uses the old one, it is removed
    deploy("6", { "requirements.txt": "# still none\n" });
    expect(sets()).toHaveLength(2);
    for (let v = 7; v <= 9; v++) {
      await tick();
      deploy(String(v));
    }
    expect(sets()).toHaveLength(1);
    expect(execFileSync(pip, ["--version"], { encoding: "utf8" })).toMatch(/^pip /);
    expect(p.read("h1", "installs")).toBe("install\ninstall\n");
  }, 120_000);
});

describe("what the README says is true", () => {
  it("-m/--message is recorded in history for deploys and rollbacks, and shown by `history`", () => {
    p = new Project();
    p.writeConfig(basicConfig());
    p.repo.commit({ VERSION: "1" });
    expect(p.run("prod", "deploy", "-m", "first: ticket 42").code).toBe(0);
    p.repo.commit({ VERSION: "2" });
    expect(p.run("prod", "deploy").code).toBe(0);
    expect(p.run("prod", "rollback", "-m", "v2 broke checkout").code).toBe(0);
    const hist = p
      .read("h1", ".slipway/history.ndjson")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(hist.map((e) => e.message)).toEqual(["first: ticket 42", undefined, "v2 broke checkout"]);
    const r = p.run("prod", "history");
    expect(r.stdout).toMatch(/rollback .*v2 broke checkout/);
    expect(r.stdout).toMatch(/deploy .*first: ticket 42/);
  });
});

describe("plans as JSON carry no secret in any form", () => {
  it("deploy --plan --json with a quoted, $-bearing secret in a service's env file shows it nowhere", () => {
    p = new Project();
    p.repo.commit({ VERSION: "1" });
    p.writeConfig(
      basicConfig(`secret_env: [API_TOKEN]
services:
  web:
    backend: supervisord
    command: ./server
  unit:
    backend: systemd
    command: ./server`),
    );
    const secret = `tok'en$(x)"with\\quotes`;
    for (const args of [
      ["deploy", "--plan", "--json"],
      ["deploy", "--plan"],
    ]) {
      const r = p.runWith({ API_TOKEN: secret }, "prod", ...args);
      expect(r.code, r.stderr).toBe(0);
      for (const part of ["tok", "en$(x)", "with"]) expect(r.stdout + r.stderr, `${args.join(" ")}: ${part}`).not.toContain(part);
    }
    expect(p.runWith({ API_TOKEN: secret }, "prod", "deploy", "--plan", "--json").stdout).toContain("install supervisord program testapp-web");
  });
});
