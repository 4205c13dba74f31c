/** Pure parts of the gates: approvals parsing and counting, promotion soak time, requires, metric thresholds, JSON paths. */
import { describe, expect, it } from "vitest";
import { healthySince, promotedResult } from "../../../src/apply/preflight/promoted.js";
import { requiresResult } from "../../../src/apply/preflight/requires.js";
import { asNumber, judge } from "../../../src/apply/preflight/metric.js";
import { atPath } from "../../../src/apply/preflight/probe.js";
import { readApprovals, writeApproval } from "../../../src/commands/approvals.js";
import { pathsFor } from "../../../src/config/paths.js";
import { decideApprovals, parseApprovals } from "../../../src/plan/approvals-input.js";
import type { HistoryEntry } from "../../../src/plan/host-input.js";

const C = "a".repeat(40);
const D = "b".repeat(40);
const approval = (who: string, commit = C) => ({ commit, who, by: `${who}@m`, at: "2026-12-01T10:00:00.000Z", ref: "main", why: "ok" });
const line = (a: ReturnType<typeof approval>) => `${a.commit}/${a.who}.json\t${JSON.stringify(a)}`;

describe("approvals", () => {
  it("parses strictly: a file whose name disagrees with its content, bad JSON or extra keys are problems, not approvals", () => {
    const out = [
      line(approval("alice")),
      `${C}/mallory.json\t${JSON.stringify(approval("bob"))}`,
      `${C}/eve.json\tnot json`,
      `${C}/x.json\t${JSON.stringify({ ...approval("x"), extra: 1 })}`,
      `../../etc/passwd\t{}`,
    ].join("\n");
    const r = parseApprovals(out);
    expect(r.approvals.map((a) => a.who)).toEqual(["alice"]);
    expect(r.problems).toHaveLength(4);
  });

  it("counts distinct approvers in `from` for this exact commit; the deployer's own not under no_self_approval", () => {
    const list = [approval("alice"), approval("bob"), approval("dave"), approval("carol", D)];
    const rule = { required: 2, from: ["alice", "bob", "carol"], noSelfApproval: true };
    const d = decideApprovals(rule, list, C, "alice");
    expect(d.ok).toBe(false);
    expect(d.line).toBe(
      `1 of 2 approvals of ${C.slice(0, 12)} (bob); not counted: alice: the deployer's own approval (no_self_approval); dave: not in approvals.from`,
    );
    expect(decideApprovals({ ...rule, noSelfApproval: false }, list, C, "alice").ok).toBe(true);
    expect(decideApprovals(rule, list, C, "carol").counted).toEqual(["alice", "bob"]);
  });

  it("builders quote the JSON and refuse an approver that is not a plain name", () => {
    const p = pathsFor("~/apps/x");
    const cmd = writeApproval(p, { ...approval("alice"), why: "it's $(fine)" });
    expect(cmd).toContain(`'"$HOME"'`.slice(1, -1));
    expect(cmd).toContain("'\\''s $(fine)");
    expect(() => writeApproval(p, approval("../x"))).toThrow();
    expect(() => readApprovals(p, "main")).toThrow();
  });
});

const entry = (at: string, toCommit: string, outcome: HistoryEntry["outcome"] = "ok", verb: HistoryEntry["verb"] = "deploy"): HistoryEntry => ({
  at,
  verb,
  env: "qa",
  release: "20261201-100000-aaaaaaa",
  fromRelease: null,
  fromCommit: null,
  toCommit,
  by: "a@m",
  outcome,
  durationMs: 1,
  toolVersion: "t",
});

describe("promoted_from", () => {
  it("healthy since the oldest of the unbroken ok run at the end of the history", () => {
    const h = [
      entry("2026-12-01T08:00:00Z", C),
      entry("2026-12-01T09:00:00Z", D, "failed"),
      entry("2026-12-01T10:00:00Z", C),
      entry("2026-12-01T11:00:00Z", C, "ok", "rollback"),
    ];
    expect(healthySince(h, C).since).toBe("2026-12-01T10:00:00Z");
    expect(healthySince([...h, entry("2026-12-01T12:00:00Z", D, "failed")], C)).toMatchObject({ since: null, broken: { outcome: "failed" } });
  });

  it("passes after min_age, refuses before with the time it would pass", () => {
    const other = { commit: C, release: "r", primary: "qa1", history: [entry("2026-12-01T10:00:00Z", C)] };
    const rule = { env: "qa", minAgeMs: 2 * 3_600_000 };
    expect(promotedResult(rule, C, other, new Date("2026-12-01T12:00:00Z")).ok).toBe(true);
    const r = promotedResult(rule, C, other, new Date("2026-12-01T11:00:00Z"));
    expect(r.ok).toBe(false);
    expect(r.hint).toBe("wait until 2026-12-01T12:00:00.000Z");
    expect(promotedResult(rule, D, other, new Date("2026-12-02T00:00:00Z")).line).toContain("is not what qa runs");
  });
});

describe("requires, metric, json paths", () => {
  it("requires: same commit, or a given commit prefix", () => {
    expect(requiresResult({ env: "staging", component: null, commit: "same" }, C, { commit: C, release: "r", primary: "s1" }).ok).toBe(true);
    expect(requiresResult({ env: "staging", component: "api", commit: "bbbbbbb" }, C, { commit: D, release: "r", primary: "s1" }).ok).toBe(true);
    const r = requiresResult({ env: "staging", component: null, commit: "same" }, C, { commit: null, release: null, primary: "s1" });
    expect(r.line).toContain("runs nothing");
  });

  it("metric thresholds are strict, numbers only", () => {
    const m = { name: "rpm", kind: "command" as const, command: "x", timeoutMs: 1, below: 15000 };
    expect(judge(m, 14999).ok).toBe(true);
    expect(judge(m, 15000).ok).toBe(false);
    expect(judge({ ...m, above: 10 }, 5)).toEqual({ ok: false, rule: "< 15000 and > 10" });
    expect(asNumber(" 12.5\n")).toBe(12.5);
    expect(asNumber("12 rpm")).toBeNull();
    expect(asNumber(true)).toBeNull();
  });

  it("atPath walks objects and arrays, never prototypes", () => {
    expect(atPath('{"data":[{"v":3}]}', "data.0.v")).toBe(3);
    expect(atPath('{"a":1}', "constructor")).toBeUndefined();
    expect(atPath("not json", "a")).toBeUndefined();
    expect(atPath(" raw \n", undefined)).toBe("raw");
  });
});
