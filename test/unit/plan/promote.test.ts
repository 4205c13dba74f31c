/** Pure parts of promotion and hand-edit detection: which commit qa runs, the cut decision, digest comparison. */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DIGEST_SEPARATOR, digestLines, writeDigest } from "../../../src/commands/release.js";
import { cutDecision } from "../../../src/plan/cut.js";
import { compareDigests, editLines, parseDigest } from "../../../src/plan/handedits-input.js";
import type { Manifest } from "../../../src/plan/host-input.js";
import { promotionSource } from "../../../src/plan/promote.js";
import type { HostState } from "../../../src/plan/state.js";
import { tmpdir } from "../../helpers.js";

const R1 = "20261120-100000-aaaaaaa";
const R2 = "20261121-100000-bbbbbbb";
const C1 = "a".repeat(40);
const C2 = "b".repeat(40);

const manifest = (id: string, commit: string, source: "git" | "dir" = "git"): Manifest => ({
  id,
  app: "web",
  env: "qa",
  commit,
  ref: "main",
  source,
  deployedBy: "ada@ctl",
  createdAt: "2026-11-20T10:00:00.000Z",
  toolVersion: "1",
  previous: null,
});
const host = (name: string, current: string | null, status: "ok" | "bad" = "ok", commit = C1, source: "git" | "dir" = "git"): HostState => ({
  host: name,
  initialized: true,
  current,
  releases: [
    { id: R1, status, manifest: manifest(R1, commit, source) },
    { id: R2, status: "ok", manifest: manifest(R2, C2) },
  ],
  lock: null,
  deploying: null,
  pushRecord: null,
  journal: {},
  problems: [],
});

describe("promotionSource", () => {
  it("is the release and commit every host of the environment runs", () => {
    expect(promotionSource("qa", "qa1", { qa1: host("qa1", R1), qa2: host("qa2", R1) })).toMatchObject({ env: "qa", release: R1, commit: C1, ref: "main" });
  });
  it("refuses hosts that disagree, nothing running, a release not ok, a directory source, commits that differ", () => {
    const refusal = (states: Record<string, HostState>) => {
      const r = promotionSource("qa", "qa1", states);
      return "refuse" in r ? r.refuse : "";
    };
    expect(refusal({ qa1: host("qa1", R1), qa2: host("qa2", R2) })).toContain(`qa's hosts disagree: qa1 runs ${R1}, qa2 runs ${R2}`);
    expect(refusal({ qa1: host("qa1", null) })).toContain("qa runs no release on its primary qa1");
    expect(refusal({ qa1: host("qa1", R1, "bad") })).toContain(`current release ${R1} is bad, not ok`);
    expect(refusal({ qa1: host("qa1", R1, "ok", C1, "dir") })).toContain("built from a directory");
    expect(refusal({ qa1: host("qa1", R1), qa2: host("qa2", R1, "ok", C2) })).toContain("names commit bbbbbbbbbbbb on qa2");
  });
});

describe("cutDecision", () => {
  it("creates, leaves, fast-forwards; refuses a rewrite naming both commits and the merge base", () => {
    expect(cutDecision("staging", null, C1, false, null)).toEqual({ action: "create" });
    expect(cutDecision("staging", C1, C1, true, C1)).toEqual({ action: "up-to-date" });
    expect(cutDecision("staging", C1, C2, true, C1)).toEqual({ action: "fast-forward" });
    const r = cutDecision("staging", C2, C1, false, "c".repeat(40));
    expect("refuse" in r && r.refuse).toContain(`staging is at ${C2}, which is not an ancestor of ${C1}`);
    expect("refuse" in r && r.refuse).toContain(`git merge-base: ${"c".repeat(40)}`);
    expect("refuse" in cutDecision("staging", C2, C1, false, null) && "x").toBe("x");
  });
});

describe("release digest", () => {
  it("digests files with sha256sum, sorted, skipping .slipway, shared and dependency paths and __pycache__", () => {
    const dir = tmpdir();
    for (const [f, body] of Object.entries({
      "b.txt": "b",
      "a/x.py": "x",
      "a/__pycache__/x.pyc": "c",
      "log/app.log": "l",
      "node_modules/m.js": "m",
      ".slipway/manifest.json": "{}",
    })) {
      mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      writeFileSync(path.join(dir, f), body);
    }
    const sh = (c: string) => execFileSync("bash", ["-o", "pipefail", "-c", c], { cwd: dir, encoding: "utf8" });
    sh(writeDigest(["log", "node_modules"]).sh);
    const { files, problems } = parseDigest(sh("cat .slipway/digest"));
    expect(problems).toEqual([]);
    expect([...files.keys()]).toEqual(["a/x.py", "b.txt"]);
    writeFileSync(path.join(dir, "b.txt"), "edited");
    writeFileSync(path.join(dir, "c.txt"), "new");
    const e = compareDigests(`${sh("cat .slipway/digest")}${DIGEST_SEPARATOR}\n${sh(digestLines(["log", "node_modules"]))}`);
    expect(e).toMatchObject({ state: "compared", changed: ["b.txt"], added: ["c.txt"], removed: [] });
    expect(editLines(e)).toEqual(["changed b.txt", "added   c.txt"]);
  });
  it("compares strictly: removed files, no current, no digest, malformed lines reported", () => {
    const h = "0".repeat(64);
    const h2 = "1".repeat(64);
    expect(compareDigests(`${h}  ./a\n${h}  ./b\n${DIGEST_SEPARATOR}\n${h2}  ./a\n`)).toMatchObject({ changed: ["a"], removed: ["b"], added: [] });
    expect(compareDigests("NOCURRENT\n").state).toBe("none");
    expect(compareDigests("NODIGEST\n").state).toBe("no-digest");
    expect(compareDigests(`${DIGEST_SEPARATOR}\n${h}  ./a\n`)).toMatchObject({ added: ["a"] });
    expect(compareDigests(`rm -rf /\n${DIGEST_SEPARATOR}\n`).problems[0]).toContain("digest line 1 is not");
  });
});
