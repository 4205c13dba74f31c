/** Gate results, overrides and refusals, pure. */
import { describe, expect, it } from "vitest";
import { applyOverrides, blocking, gateLines, gateRecord, refusalText, unknownOverrides, type GateResult } from "../../../src/plan/preflight.js";

const results: GateResult[] = [
  { gate: "ci", ok: true, line: "success at https://ci/x" },
  { gate: "windows", ok: false, line: "outside 'office hours' (Europe/Berlin)", hint: "next allowed Mon 09:00" },
  { gate: "approvals", ok: false, line: "1 of 2 approvals" },
];

describe("preflight results", () => {
  it("a refusal names every failing gate, its evidence and the way forward, and offers the override", () => {
    const t = refusalText("deploy", results)!;
    expect(t).toContain("deploy refused by 2 gates:");
    expect(t).toContain("  windows: outside 'office hours' (Europe/Berlin)\n    → next allowed Mon 09:00");
    expect(t).toContain("  approvals: 1 of 2 approvals");
    expect(t).toContain('--override windows,approvals -m "why"');
  });
  it("an override passes only the named gate and records who and why", () => {
    const o = applyOverrides(results, ["windows"], "ada@laptop", "outage fix");
    expect(blocking(o).map((r) => r.gate)).toEqual(["approvals"]);
    expect(o[1]!.overridden).toEqual({ by: "ada@laptop", reason: "outage fix" });
    expect(gateLines(o)[1]).toBe("OVERRIDDEN windows: outside 'office hours' (Europe/Berlin) (by ada@laptop: outage fix)");
    expect(refusalText("deploy", applyOverrides(results, ["all"], "a", "b"))).toBeNull();
  });
  it("unknown override names are reported; records are bounded", () => {
    expect(unknownOverrides(["windws", "ci", "all"], ["ci", "windows"])).toEqual(["windws"]);
    expect(gateRecord([{ gate: "x", ok: true, line: "y".repeat(1000) }])[0]!.line).toHaveLength(300);
  });
});
