/** What hosts send back is parsed strictly: forged lines are reported and ignored, never used. */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { pathsFor } from "../../../src/config/paths.js";
import { parseCurrentTarget, parseDeploying, parseHistory, parseLockInfo, parseManifest } from "../../../src/plan/host-input.js";
import { parseState, readState } from "../../../src/plan/state.js";

const ID = "20261122-050403-abc1234";
const SHA = "0123456789abcdef0123456789abcdef01234567";
const manifest = {
  id: ID,
  app: "a",
  env: "prod",
  commit: SHA,
  ref: "main",
  source: "git",
  deployedBy: "me",
  createdAt: "2026-11-22T05:04:03Z",
  toolVersion: "0.1.0",
  previous: null,
};

describe("host input parsers", () => {
  it("accepts only release directories under releases/ as current", () => {
    expect(parseCurrentTarget(`releases/${ID}`)).toBe(ID);
    expect(parseCurrentTarget(`/srv/app/releases/${ID}/`)).toBe(ID);
    for (const bad of ["../../etc", "releases/..", "releases/x", `releases/${ID}/../..`, ""]) expect(parseCurrentTarget(bad)).toBeNull();
  });

  it("checks manifests, deploying records and lock files field by field", () => {
    expect(parseManifest(JSON.stringify(manifest))).toEqual({ ok: true, value: manifest });
    expect(parseManifest("{}")).toMatchObject({ ok: false, problem: expect.stringMatching(/^manifest\.json\.id: /) });
    expect(parseManifest("null")).toMatchObject({ ok: false });
    const dep = { release: ID, commit: "--upload-pack=touch x;", ref: "main", by: "m", startedAt: "t", previous: null };
    expect(parseDeploying(JSON.stringify(dep))).toEqual({ ok: false, problem: ".slipway/deploying.commit: expected a 40-character hex commit" });
    expect(parseDeploying(JSON.stringify({ ...dep, commit: SHA, release: "../x" }))).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/deploying\.release/),
    });
    expect(parseLockInfo(JSON.stringify({ who: "a", pid: 12 }))).toEqual({ ok: true, value: { who: "a", pid: 12 } });
    expect(parseLockInfo(JSON.stringify({ who: "a", pid: "12; rm" }))).toMatchObject({ ok: false });
  });

  it("keeps the good history lines and counts the bad ones", () => {
    const good = {
      at: "t",
      verb: "deploy",
      env: "prod",
      release: ID,
      fromRelease: null,
      fromCommit: null,
      toCommit: SHA,
      by: "me",
      outcome: "ok",
      durationMs: 5,
      toolVersion: "0",
    };
    const { entries, problems } = parseHistory(["null", "{}", "not json", JSON.stringify(good), ""].join("\n"));
    expect(entries).toEqual([good]);
    expect(problems).toHaveLength(3);
    expect(problems[2]).toMatch(/^line 3: history line is not JSON/);
  });
});

describe("readState and parseState on a real directory", () => {
  it("reports forged release names instead of listing them, and parses the rest", () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "slipway-state-"));
    const p = pathsFor(root);
    mkdirSync(path.join(p.release(ID), ".slipway"), { recursive: true });
    writeFileSync(path.join(p.release(ID), ".slipway", "manifest.json"), JSON.stringify(manifest));
    writeFileSync(path.join(p.release(ID), ".slipway", "status"), "ok");
    mkdirSync(path.join(p.releases, `20200101-000000-0000000\nREL\t..\tfailed\t`));
    mkdirSync(path.join(p.releases, "not-a-release"));
    symlinkSync(`releases/${ID}`, p.current);
    mkdirSync(p.meta, { recursive: true });
    writeFileSync(path.join(p.meta, "deploying"), JSON.stringify({ release: ID, commit: "nope" }));
    const out = execFileSync("bash", ["-c", readState(p)], { encoding: "utf8" });
    const st = parseState("h1", out);
    expect(st.current).toBe(ID);
    expect(st.releases.map((r) => [r.id, r.status, r.manifest?.commit])).toEqual([[ID, "ok", SHA]]);
    expect(st.deploying).toBeNull();
    expect(st.problems.join("\n")).toMatch(/releases\/20200101-000000-0000000\?REL\?\.\.\?failed\? is not a release id/);
    expect(st.problems.join("\n")).toMatch(/releases\/not-a-release is not a release id/);
    expect(st.problems.join("\n")).toMatch(/deploying\.commit/);
  });
});
