/** Log file names: safe characters only, whatever the verb or environment is called. */
import { describe, expect, it } from "vitest";
import { logFileName } from "../../../src/render/logfile.js";

describe("logFileName", () => {
  const at = new Date("2026-11-22T10:00:00.123Z");
  it("keeps the time, env, verb and pid, with spaces and other characters made -", () => {
    expect(logFileName(at, "prod", "deploy", 42)).toBe("2026-11-22T10-00-00-123Z-prod-deploy-42.log");
    expect(logFileName(at, "prod", "update-config --diff", 42)).toBe("2026-11-22T10-00-00-123Z-prod-update-config---diff-42.log");
    expect(logFileName(at, "prod", "prestep warm cache/../x", 7)).toBe("2026-11-22T10-00-00-123Z-prod-prestep-warm-cache-..-x-7.log");
  });
  it("never yields a path separator or a space", () => {
    expect(logFileName(at, "a b/c", "é\n\x1b[31m", 1)).toMatch(/^[A-Za-z0-9._-]+\.log$/);
  });
});
