/** API tokens: format, hash, constant-time matching that skips revoked tokens, and masking in log lines. */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { generateToken, hashToken, maskTokens, matchToken, TOKEN_NAME, TOKEN_PATTERN } from "../../../src/serve/tokens.js";
import type { TokenRecord } from "../../../src/store/store.js";

const rec = (token: string, o: Partial<TokenRecord> = {}): TokenRecord => ({
  name: "ci",
  role: "viewer",
  hash: hashToken(token),
  createdAt: "2026-12-03T08:00:00.000Z",
  createdBy: "ada@box",
  revokedAt: null,
  ...o,
});

describe("tokens", () => {
  it("are slw_ + 43 base64url characters (32 random bytes), different every time", () => {
    const a = generateToken();
    const b = generateToken();
    expect(a).toMatch(/^slw_[A-Za-z0-9_-]{43}$/);
    expect(TOKEN_PATTERN.test(a)).toBe(true);
    expect(a).not.toBe(b);
    expect(Buffer.from(a.slice(4), "base64url")).toHaveLength(32);
  });

  it("are stored as the SHA-256 hex of the whole token, never the token", () => {
    const t = generateToken();
    expect(hashToken(t)).toBe(createHash("sha256").update(t).digest("hex"));
    expect(hashToken(t)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(t)).not.toContain(t.slice(4));
  });

  it("match the unrevoked record with their hash, and nothing else", () => {
    const t = generateToken();
    const other = generateToken();
    const list = [rec(other, { name: "other", role: "deployer" }), rec(t)];
    expect(matchToken(t, list)).toMatchObject({ name: "ci", role: "viewer" });
    expect(matchToken(other, list)).toMatchObject({ name: "other", role: "deployer" });
    expect(matchToken(generateToken(), list)).toBeNull();
    // a revoked token no longer matches, even when it is the only record with that hash
    expect(matchToken(t, [rec(t, { revokedAt: "2026-12-03T09:00:00.000Z" })])).toBeNull();
    // not token-shaped: refused before hashing (and a hash itself is not a token)
    expect(matchToken(hashToken(t), list)).toBeNull();
    expect(matchToken(`${t}x`, list)).toBeNull();
    expect(matchToken("", list)).toBeNull();
  });

  it("are masked wherever they appear in a line", () => {
    const t = generateToken();
    expect(maskTokens(`GET /api/runs/${t}/events 404`)).toBe("GET /api/runs/slw_[REDACTED]/events 404");
    expect(maskTokens("GET /api/health 200")).toBe("GET /api/health 200");
  });

  it("names are short and plain", () => {
    for (const ok of ["ci", "ci-deploy", "bot.1", "A_b"]) expect(TOKEN_NAME.test(ok)).toBe(true);
    for (const bad of ["", "-x", "a b", "x".repeat(65), "naïve", "a/b"]) expect(TOKEN_NAME.test(bad)).toBe(false);
  });
});
