/** The pure side of `pending`: git output parsed, the case decided, the text it prints. */
import { describe, expect, it } from "vitest";
import { formatPending, parseLog, parseNumstat, pendingHeadline, pendingState, type Pending } from "../../../src/plan/pending.js";

const A = "a".repeat(40);
const B = "b".repeat(40);
const base: Pending = { state: "ahead", ref: "main", from: A, to: B, commits: [], count: 0, files: [] };

describe("pending", () => {
  it("parses git log lines (tabs in a subject kept) and numstat (binary files as -1, tabs in paths kept)", () => {
    expect(parseLog(`${B}\x1fGrace Hopper\x1f2026-12-01T10:00:00+01:00\x1fFix\tthe thing\nnoise\n`)).toEqual([
      { commit: B, author: "Grace Hopper", date: "2026-12-01T10:00:00+01:00", subject: "Fix\tthe thing" },
    ]);
    expect(parseNumstat("3\t1\tsrc/a.ts\n-\t-\tlogo.png\n1\t0\todd\tname\n")).toEqual([
      { path: "src/a.ts", added: 3, deleted: 1 },
      { path: "logo.png", added: -1, deleted: -1 },
      { path: "odd\tname", added: 1, deleted: 0 },
    ]);
  });

  it("decides: nothing deployed, up to date, ahead, not an ancestor", () => {
    expect(pendingState(null, B, true)).toBe("not-deployed");
    expect(pendingState(B, B, true)).toBe("up-to-date");
    expect(pendingState(A, B, true)).toBe("ahead");
    expect(pendingState(A, B, false)).toBe("not-ancestor");
  });

  it("says what a deploy would do in one line, for every case", () => {
    expect(pendingHeadline({ ...base, count: 1 })).toBe("pending: 1 commit between aaaaaaaaaaaa (running) and main (bbbbbbbbbbbb)");
    expect(pendingHeadline({ ...base, state: "up-to-date" })).toBe("pending: up to date (main is bbbbbbbbbbbb, which runs now)");
    expect(pendingHeadline({ ...base, state: "not-deployed", from: null, count: 7 })).toBe(
      "pending: nothing deployed yet; 7 commits up to main (bbbbbbbbbbbb)",
    );
    expect(pendingHeadline({ ...base, state: "not-ancestor", dropped: 2 })).toBe(
      "pending: the ref does not contain what runs; a deploy would go back: main (bbbbbbbbbbbb) lacks 2 commit(s) of aaaaaaaaaaaa (running)",
    );
    expect(pendingHeadline({ ...base, state: "not-ancestor", dropped: 2, count: 3 })).toMatch(/would go sideways: .* and adds 3 commits$/);
    expect(pendingHeadline({ ...base, state: "dir" })).toMatch(/pending is for git sources/);
    expect(pendingHeadline({ ...base, state: "unknown", reason: "fatal: unable to connect" })).toBe("pending: unknown (fatal: unable to connect)");
  });

  it("prints commits and files as tables, notes commits beyond the listed ones, and makes host-controlled text terminal-safe", () => {
    const text = formatPending({
      ...base,
      count: 60,
      commits: [{ commit: B, author: "Eve\x1b[2J", date: "2026-12-01T10:00:00Z", subject: "Ship it" }],
      files: [
        { path: "a.ts", added: 3, deleted: 1 },
        { path: "logo.png", added: -1, deleted: -1 },
      ],
    });
    expect(text).toContain("bbbbbbbbbbbb  2026-12-01 10:00:00  Eve");
    expect(text).not.toContain("\x1b");
    expect(text).toContain("… and 59 older commit(s)");
    expect(text).toMatch(/logo\.png\s+bin\s+bin/);
    expect(text).toContain("2 file(s) changed, +3 -1");
  });
});
