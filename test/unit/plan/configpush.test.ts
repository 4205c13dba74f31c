/** planConfigPush is pure: diffs, changed hosts and push scripts from what hosts have and what renders. */
import { describe, expect, it } from "vitest";
import type { Host } from "../../../src/config/resolve.js";
import { planConfigPush, type RenderedFile } from "../../../src/plan/configpush.js";

const host = (name: string): Host => ({ name, transport: "ssh", address: name, roles: [], primary: false, deployTo: "/srv/a" });
const file = (content: string, secret = false): RenderedFile => ({
  dest: "shared/s.py",
  content,
  mode: secret ? "0600" : "0644",
  secret,
  masked: secret ? 'P = "[REDACTED]"\n' : content,
});
const base = {
  revision: { revision: null, revisionTime: null },
  forced: false,
  by: "me",
  toolVersion: "0.1.0",
  now: new Date("2026-11-22T00:00:00Z"),
  newKey: () => "k".repeat(64),
};

describe("planConfigPush", () => {
  it("diffs only what changed, and changes only those hosts", () => {
    const hosts = [host("a"), host("b")];
    const rendered = new Map([
      ["a", [file("X = 2\n")]],
      ["b", [file("X = 2\n")]],
    ]);
    const states = {
      a: { record: null, files: { "shared/s.py": "X = 1\n" }, key: null },
      b: { record: null, files: { "shared/s.py": "X = 2\n" }, key: "f".repeat(64) },
    };
    const plan = planConfigPush({ ...base, hosts, rendered, states });
    expect(plan.changedHosts).toEqual(["a"]);
    expect(plan.diffs.map((d) => d.diff)).toEqual([expect.stringContaining("-X = 1\n+X = 2")]);
    const shown = (h: string) => plan.scripts[h]!.sections[0]!.commands.map((c) => c.display);
    expect(shown("a")).toEqual(["create the config-state key", "write shared/s.py (mode 0644)", "record the push (drift guard)"]);
    expect(shown("b")).toEqual(["write shared/s.py (mode 0644)", "record the push (drift guard)"]);
  });

  it("shows a secret-bearing file only through its masked template, old side included", () => {
    const rendered = new Map([["a", [file('P = "new-secret"\n', true)]]]);
    const states = { a: { record: null, files: { "shared/s.py": 'P = "old-secret"\n' }, key: null } };
    const plan = planConfigPush({ ...base, hosts: [host("a")], rendered, states });
    const d = plan.diffs[0]!.diff;
    expect(d).not.toMatch(/old-secret|new-secret/);
    expect(d).toMatch(/secret values changed \(not shown\)|\[REDACTED\]/);
  });
});
