/** Builders are data: compared as strings, and run against hostile paths in a real temp dir. */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { pathsFor, releaseId, parseReleaseTime, RELEASE_ID } from "../../../src/config/paths.js";
import { readState } from "../../../src/plan/state.js";
import * as rel from "../../../src/commands/release.js";
import { acquireLock, releaseLock } from "../../../src/commands/lock.js";
import { tmpdir } from "../../helpers.js";

const bash = (s: string) => execFileSync("bash", ["-c", s], { encoding: "utf8" });

describe("paths and ids", () => {
  it("refuses to make a release path from anything but a release id", () => {
    const p = pathsFor("/srv/app");
    for (const bad of ["..", "../x", "a\n..", "", "20261122-050403-abc1234/..", "20261122-050403-ABC1234"]) {
      expect(() => p.release(bad)).toThrow(/not a release id/);
      expect(() => p.releaseMeta(bad)).toThrow(/not a release id/);
    }
  });

  it("derives every path from deploy_to", () => {
    const p = pathsFor("/srv/app/");
    expect([p.releases, p.release("20261122-050403-abc1234"), p.current, p.shared, p.repo, p.lockDir, p.history]).toEqual([
      "/srv/app/releases",
      "/srv/app/releases/20261122-050403-abc1234",
      "/srv/app/current",
      "/srv/app/shared",
      "/srv/app/repo",
      "/srv/app/.slipway/lock",
      "/srv/app/.slipway/history.ndjson",
    ]);
  });
  it("release ids are UTC time + short commit, sortable and parseable", () => {
    const id = releaseId(new Date("2026-11-22T05:04:03.999Z"), "abc1234def");
    expect(id).toBe("20261122-050403-abc1234");
    expect(RELEASE_ID.test(id)).toBe(true);
    expect(parseReleaseTime(id)?.toISOString()).toBe("2026-11-22T05:04:03.000Z");
  });
});

describe("release builders", () => {
  it("switchCurrent links to a temp name then renames (never rm + ln)", () => {
    expect(rel.switchCurrent(pathsFor("/srv/a"), "20261122-050403-abc1234").sh).toBe(
      "{ [ -d /srv/a/releases/20261122-050403-abc1234 ] || { echo 'release 20261122-050403-abc1234 is missing on this host; current left as it was' >&2; exit 1; }; } && ln -sfn releases/20261122-050403-abc1234 /srv/a/.current-20261122-050403-abc1234 && mv -T /srv/a/.current-20261122-050403-abc1234 /srv/a/current",
    );
  });

  it("switch, shared links and status work under a hostile deploy_to", () => {
    const root = path.join(tmpdir(), `it's $(touch pwned); a b\n"c"`);
    const p = pathsFor(root);
    const id = "20261122-050403-abc1234";
    mkdirSync(p.release(id), { recursive: true });
    mkdirSync(p.shared, { recursive: true });
    writeFileSync(path.join(p.shared, "my env"), "x");
    for (const c of [...rel.linkShared(p, id, ["log dir", "a/b"], ["my env"]), rel.setStatus(p, id, "ok"), rel.switchCurrent(p, id)]) bash(c.sh);
    expect(readlinkSync(p.current)).toBe(`releases/${id}`);
    expect(readlinkSync(path.join(p.release(id), "log dir"))).toBe(path.join(p.shared, "log dir"));
    expect(existsSync(path.join(p.shared, "a/b"))).toBe(true);
    expect(readlinkSync(path.join(p.release(id), "my env"))).toBe(path.join(p.shared, "my env"));
    expect(readFileSync(path.join(p.releaseMeta(id), "status"), "utf8")).toBe("ok");
    expect(existsSync("pwned")).toBe(false);
    expect(existsSync(path.join(path.dirname(root), "pwned"))).toBe(false);
  });

  it("a missing shared file fails with a message instead of linking nothing", () => {
    const p = pathsFor(tmpdir());
    const [c] = rel.linkShared(p, "20261122-050403-abc1234", [], [".env"]);
    expect(() => execFileSync("bash", ["-c", c!.sh], { stdio: "pipe" })).toThrow(/shared file missing: .*\/shared\/\.env/);
  });

  it("manifest and history survive hostile JSON content", () => {
    const p = pathsFor(tmpdir());
    const m = { id: "20261122-050403-abc1234", by: `o'brien $(whoami)\n` };
    bash(rel.writeManifest(p, "20261122-050403-abc1234", m).sh);
    bash(rel.appendHistory(p, m).sh);
    expect(JSON.parse(bash(`cat ${p.releaseMeta("20261122-050403-abc1234")}/manifest.json`))).toEqual(m);
    expect(JSON.parse(bash(`cat ${p.history}`))).toEqual(m);
  });

  it("readState reports current, releases with status and manifest, and the lock", () => {
    const p = pathsFor(tmpdir());
    bash(rel.writeManifest(p, "20261122-050403-abc1234", { commit: "abc" }).sh);
    bash(rel.switchCurrent(p, "20261122-050403-abc1234").sh);
    const out = bash(readState(p));
    expect(out).toContain("CURRENT\treleases/20261122-050403-abc1234");
    expect(out).toContain(`REL\t20261122-050403-abc1234\tbuilding\t{"commit":"abc"}`);
    expect(bash(readState(pathsFor("/nonexistent/x")))).toBe("NOROOT\n");
  });
});

describe("lock builders", () => {
  it("mkdir is atomic: the second acquire sees the holder; release only with our token", () => {
    const p = pathsFor(tmpdir());
    const info = {
      token: "t1",
      who: "a@b",
      reason: "it's $(x)",
      verb: "deploy",
      since: "2026-01-01T00:00:00Z",
      version: "1",
      controlHost: "b",
      pid: 1,
      manual: false,
    };
    expect(bash(acquireLock(p, info)).trim()).toBe("ACQUIRED");
    const second = bash(acquireLock(p, { ...info, token: "t2" }));
    expect(second.split("\n")[0]).toBe("HELD");
    expect(JSON.parse(second.split("\n")[1]!)).toMatchObject({ token: "t1", reason: "it's $(x)" });
    expect(bash(releaseLock(p, "t2")).trim()).toBe("NOTOURS");
    expect(bash(releaseLock(p, "t1")).trim()).toBe("RELEASED");
    expect(bash(releaseLock(p, "t1")).trim()).toBe("NONE");
  });
});
