/** Redaction (whole values and each line of multi-line ones), terminal sanitising, in-memory diffs, the push builders. */
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { makeRedactor, redactDeep } from "../../../src/events/redact.js";
import { sanitizeTerminal } from "../../../src/render/sanitize.js";
import { table } from "../../../src/render/table.js";
import { unifiedDiff } from "../../../src/render/diff.js";
import { maskOldSide, unifiedDiff as configDiff } from "../../../src/plan/configpush.js";
import { fileHash, writeFile } from "../../../src/commands/configpush.js";
import { pathsFor } from "../../../src/config/paths.js";
import { privateDir, privateFile } from "../../../src/store/private.js";

describe("redactor", () => {
  it("masks a multi-line secret whole and line by line, ignoring trivially short lines", () => {
    const r = makeRedactor(["-----BEGIN-----\nAbCdEf123\n  GhIjKl456\nab\n-----END-----"]);
    expect(r("x AbCdEf123 y")).toBe("x [REDACTED] y");
    expect(r("+  GhIjKl456")).toBe("+  [REDACTED]");
    expect(r("ab cd")).toBe("ab cd");
    expect(r("-----BEGIN-----\nAbCdEf123\n  GhIjKl456\nab\n-----END-----")).toBe("[REDACTED]");
  });

  it("redacts inside JSON values so escaping cannot hide a multi-line secret", () => {
    const r = makeRedactor(["line-one-aaa\nline-two-bbb"]);
    const out = JSON.stringify(redactDeep({ env: { K: "line-one-aaa\nline-two-bbb" }, list: ["x line-two-bbb"] }, r));
    expect(out).not.toMatch(/line-(one|two)/);
  });
});

describe("sanitizeTerminal", () => {
  it("makes control characters visible but keeps newlines and tabs", () => {
    expect(sanitizeTerminal("a\x1b]0;pwned\x07\x1b[31mb\tc\nd\re\x9b")).toBe("a\\x1b]0;pwned\\x07\\x1b[31mb\tc\nd\\x0de\\x9b");
  });
  it("is applied to table cells", () => {
    expect(table(["A"], [["\x1b[2Jx"]])).not.toContain("\x1b");
  });
});

describe("unifiedDiff (in memory)", () => {
  it("prints a unified diff with labels, hunks and context", () => {
    expect(unifiedDiff("f", "a\nb\nc\n", "a\nB\nc\n")).toBe("--- f (on host)\n+++ f (new)\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
    expect(unifiedDiff("f", null, "x\ny\n")).toBe("--- f (on host)\n+++ f (new)\n@@ -0,0 +1,2 @@\n+x\n+y\n");
    expect(unifiedDiff("f", "same\n", "same\n")).toBe("");
    expect(unifiedDiff("f", "a", "a\n")).toBe("--- f (on host)\n+++ f (new)\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+a\n");
  });
  it("keeps far-apart changes in separate hunks", () => {
    const a = Array.from({ length: 20 }, (_, i) => `l${i}`).join("\n") + "\n";
    const b = a.replace("l1\n", "L1\n").replace("l18\n", "L18\n");
    const d = unifiedDiff("f", a, b);
    expect(d.match(/^@@/gm)).toHaveLength(2);
    expect(d).toContain("@@ -1,5 +1,5 @@");
    expect(d).toContain("@@ -16,5 +16,5 @@");
  });
  it("is what update-config uses (no temp files)", () => {
    expect(configDiff).toBe(unifiedDiff);
  });
});

describe("secret-bearing diffs", () => {
  it("the old side shows only text from the masked new rendering, never an old secret", () => {
    const maskedNew = 'DEBUG = true\nDB = "[REDACTED]"\n[REDACTED]\nend\n';
    const old = 'DEBUG = false\nDB = "old-secret-1"\nold-pem-line-a\nold-pem-line-b\nend\n';
    const side = maskOldSide(old, maskedNew);
    expect(side).not.toMatch(/old-/);
    expect(side).toBe('[REDACTED]\nDB = "[REDACTED]"\n[REDACTED]\n[REDACTED]\nend\n');
  });
});

describe("push builders", () => {
  const p = pathsFor("/srv/app");
  it("stage files under an unpredictable name made exclusively by mktemp in the destination's directory", () => {
    const c = writeFile(p, "shared/settings.py", "x", "0600").sh;
    expect(c).not.toContain(".slipway-tmp");
    expect(c).toContain("tmp=$(mktemp /srv/app/shared/.slipway-XXXXXXXX)");
    expect(c).toContain(`mv -f "$tmp" /srv/app/shared/settings.py`);
  });
  it("record keyed hashes, not the plain sha256 of the content", () => {
    const h = fileHash("k".repeat(64), "DB=secret\n");
    expect(h).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(h).not.toContain(createHash("sha256").update("DB=secret\n").digest("hex"));
    expect(fileHash("j".repeat(64), "DB=secret\n")).not.toBe(h);
  });
});

describe("private state files", () => {
  it("directories become 0700 and files 0600, except that a shared sticky directory (/tmp) is left alone", () => {
    const base = mkdtempSync(path.join(os.tmpdir(), "slipway-private-"));
    try {
      const d = path.join(base, "state");
      mkdirSync(d, { mode: 0o755 });
      chmodSync(d, 0o755);
      privateDir(d);
      expect(statSync(d).mode & 0o777).toBe(0o700);
      privateFile(path.join(d, "f"));
      expect(statSync(path.join(d, "f")).mode & 0o777).toBe(0o600);
      const shared = path.join(base, "shared");
      mkdirSync(shared);
      chmodSync(shared, 0o1777);
      privateDir(shared);
      expect(statSync(shared).mode & 0o7777).toBe(0o1777);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
