/** Plain lines for CI: what each event prints, failures last, and host text never raw on a terminal. */
import { describe, expect, it } from "vitest";
import { formatPlain } from "../../../src/render/plain.js";

const ts = "2026-11-22T00:00:00Z";

describe("formatPlain", () => {
  it("names host, phase, command, exit code and stderr for a failure", () => {
    expect(formatPlain({ ts, type: "command:failed", host: "web1", phase: "build", command: "npm ci", exitCode: 1, stderrTail: "E1\nE2" }, false)).toBe(
      "[web1] build FAILED: `npm ci` exited with 1\n[web1]   E1\n[web1]   E2",
    );
  });

  it("hides progress and output unless verbose", () => {
    expect(formatPlain({ ts, type: "host:phase", host: "h", phase: "build", status: "running" }, false)).toBeNull();
    expect(formatPlain({ ts, type: "host:phase", host: "h", phase: "build", status: "done", ms: 12 }, false)).toBe("[h] build done (12 ms)");
    expect(formatPlain({ ts, type: "output", host: "h", phase: "build", stream: "stdout", line: "hi" }, true)).toBe("[h] build | hi");
  });

  it("puts the summary of a failed run after the log path", () => {
    expect(formatPlain({ ts, type: "run:end", ok: false, summary: ["deploy failed: x"], durationMs: 1500, logPath: "/l" }, false)).toBe(
      "log: /l\nFAILED after 1.5s\ndeploy failed: x",
    );
  });
});
