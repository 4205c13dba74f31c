/** The detached watcher's loop through a real bash: rounds, a hostile failure's evidence kept valid JSON, the revert, history and unlock. */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { acquireLock } from "../../src/commands/lock.js";
import { pathsFor } from "../../src/config/paths.js";
import { handOverLock, readWatch, startWatcher, watchDir } from "../../src/commands/watch.js";
import { parseHistoryLine } from "../../src/plan/host-input.js";
import { parseWatchLines, parseWatchState, watchLines } from "../../src/plan/verify-input.js";
import { waitFor } from "../helpers.js";

const bash = (sh: string) => execFileSync("bash", ["-c", sh], { encoding: "utf8" });
const REL = "20261202-180000-abcdef1";
const PREV = "20261202-170000-1234567";

function host() {
  const root = mkdtempSync(path.join(os.tmpdir(), "slipway-watch-it's "));
  const p = pathsFor(root);
  mkdirSync(path.join(root, "releases", REL), { recursive: true });
  symlinkSync(`releases/${REL}`, path.join(root, "current"));
  return { root, p };
}

const lockInfo = {
  token: "tok-1",
  who: "me",
  reason: "",
  verb: "deploy",
  since: "2026-12-02T18:00:00Z",
  version: "0",
  controlHost: "c",
  pid: 1,
  manual: false,
};

describe("verify-window watcher", () => {
  it("a failing check's hostile output becomes JSON-safe evidence; it reverts, appends history and releases the lock", async () => {
    const { root, p } = host();
    bash(acquireLock(p, lockInfo));
    expect(bash(handOverLock(p, "tok-1", { ...lockInfo, verb: "verify-watch" })).trim()).toBe("HANDED");
    expect(bash(handOverLock(p, "other", lockInfo)).trim()).toBe("NOTOURS");
    const flag = path.join(root, "fail");
    const out = bash(
      startWatcher(p, {
        host: "web1",
        release: REL,
        previous: PREV,
        windowMs: 20_000,
        intervalMs: 200,
        checks: [
          {
            kind: "command",
            name: "probe",
            command: `if [ -f ${JSON.stringify(flag)} ]; then printf 'said "no" \\\\ $(x)\\tnow\\n'; exit 9; fi`,
            timeoutMs: 2000,
          },
        ],
        env: { GREETING: "it's $(not run)" },
        revert: `echo "reverting with $GREETING"; ln -sfn releases/${PREV} ${JSON.stringify(path.join(root, "current"))}`,
        history: {
          verb: "rollback",
          automatic: true,
          env: "prod",
          release: PREV,
          fromRelease: REL,
          fromCommit: null,
          toCommit: "unknown",
          by: "me",
          toolVersion: "0",
        },
        lockToken: "tok-1",
      }).sh,
    );
    expect(out).toMatch(/^WATCH started \d+/);
    const dir = watchDir(p, REL);
    const state = () => (existsSync(path.join(dir, "state")) ? parseWatchState(readFileSync(path.join(dir, "state"), "utf8")) : null);
    await waitFor(() => state()?.ok === true && (state() as { value: { rounds: number } }).value.rounds >= 2, 5000);
    expect(state()).toMatchObject({ ok: true, value: { status: "watching", release: REL, previous: PREV } });
    expect(watchLines([parseWatchLines("web1", bash(readWatch(p)))!], "web1")[0]).toMatch(
      new RegExp(`^watching ${REL} until \\d\\d:\\d\\d:\\d\\d UTC \\(\\d+ round\\(s\\) ok\\)$`),
    );

    writeFileSync(flag, "");
    await waitFor(() => !existsSync(p.lockDir), 5000);
    const final = state();
    expect(final).toMatchObject({ ok: true, value: { status: "reverted" } });
    const evidence = (final as { value: { evidence: string } }).value.evidence;
    expect(evidence).toMatch(/^check probe: exit 9: said "no" \\ \$\(x\) now \(on web1, round \d+\)$/);
    expect(readFileSync(path.join(dir, "revert.log"), "utf8")).toBe("reverting with it's $(not run)\n");
    const line = parseHistoryLine(readFileSync(p.history, "utf8").trim());
    expect(line).toMatchObject({ ok: true, value: { verb: "rollback", automatic: true, outcome: "ok", release: PREV, evidence } });
    expect(watchLines([parseWatchLines("web1", bash(readWatch(p)))!], "web1")[0]).toMatch(/^reverted automatically at .* from .* to .* \(check probe: exit 9/);
  });

  it("stops without reverting when current moved under it", async () => {
    const { root, p } = host();
    bash(
      startWatcher(p, {
        host: "web2",
        release: REL,
        previous: PREV,
        windowMs: 20_000,
        intervalMs: 200,
        checks: [{ kind: "command", name: "ok", command: "true", timeoutMs: 1000 }],
        env: {},
        revert: "echo SHOULD-NOT-RUN",
      }).sh,
    );
    rmSync(path.join(root, "current"));
    symlinkSync(`releases/${PREV}`, path.join(root, "current"));
    const f = path.join(watchDir(p, REL), "state");
    await waitFor(() => existsSync(f) && readFileSync(f, "utf8").includes('"stopped"'), 5000);
    expect(parseWatchState(readFileSync(f, "utf8"))).toMatchObject({
      ok: true,
      value: { status: "stopped", evidence: `current is no longer ${REL}: releases/${PREV}` },
    });
    expect(existsSync(path.join(watchDir(p, REL), "revert.log"))).toBe(false);
    expect(existsSync(p.history)).toBe(false);
  });

  it("the watch directory name is checked; bad state files are problems, not exceptions", () => {
    expect(() => watchDir(pathsFor("/x"), "../../etc")).toThrow(/not a release id/);
    expect(parseWatchState('{"status":"watching"}')).toMatchObject({ ok: false });
    expect(parseWatchState("not json")).toMatchObject({ ok: false });
    expect(parseWatchLines("h", `VWATCH\t${REL}\tno\nVWATCHSTATE\t{"status":"hacked"}`)).toMatchObject({
      host: "h",
      state: null,
      problem: expect.stringMatching(/status/),
    });
    expect(parseWatchLines("h", "")).toBeNull();
  });
});
