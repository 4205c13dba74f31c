/** The slot claim, run through a real bash: exactly one of several claims wins; the loser sees the winner; hostile names never reach a path. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, utimesSync } from "node:fs";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { claimSlot } from "../../../src/commands/schedule.js";
import { pathsFor } from "../../../src/config/paths.js";

const bash = (script: string) => execFileSync("bash", ["-c", script], { encoding: "utf8" });

describe("claimSlot", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("the first claim of a slot wins, every later one prints TAKEN and the winner's details", () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "slipway-claim-"));
    dirs.push(root);
    const p = pathsFor(root);
    expect(bash(claimSlot(p, "weekly", "20261208T090000Z", { server: "a" }))).toBe("CLAIMED\n");
    expect(bash(claimSlot(p, "weekly", "20261208T090000Z", { server: "b" }))).toBe('TAKEN\n{"server":"a"}\n');
    expect(bash(claimSlot(p, "weekly", "20261215T090000Z", { server: "b" }))).toBe("CLAIMED\n");
  });

  it("of claims racing in parallel exactly one wins", () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "slipway-claim-"));
    dirs.push(root);
    const c = claimSlot(pathsFor(root), "weekly", "20261208T090000Z", { server: "x" });
    const out = bash(`for i in $(seq 20); do ( ${c} ) & done; wait`);
    expect(out.split("\n").filter((l) => l === "CLAIMED")).toHaveLength(1);
    expect(out.split("\n").filter((l) => l === "TAKEN")).toHaveLength(19);
  });

  it("prunes this schedule's claims older than a week", () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "slipway-claim-"));
    dirs.push(root);
    const p = pathsFor(root);
    bash(claimSlot(p, "weekly", "20261101T090000Z", {}));
    const old = p.scheduleSlot("weekly", "20261101T090000Z");
    const t = new Date(Date.now() - 9 * 86_400_000);
    utimesSync(old, t, t);
    bash(claimSlot(p, "weekly", "20261208T090000Z", {}));
    expect(existsSync(old)).toBe(false);
    expect(existsSync(p.scheduleSlot("weekly", "20261208T090000Z"))).toBe(true);
  });

  it("refuses a path from a name or slot that is not one", () => {
    const p = pathsFor("/srv/app");
    expect(() => p.scheduleSlot("../x", "20261208T090000Z")).toThrow(/not a schedule slot/);
    expect(() => p.scheduleSlot("weekly", "2026-12-08")).toThrow(/not a schedule slot/);
    expect(p.scheduleSlot("weekly", "20261208T090000Z")).toBe("/srv/app/.slipway/schedule/weekly/20261208T090000Z");
  });
});
