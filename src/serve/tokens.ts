/**
 * API tokens for `slipway serve`: made here, shown once, stored only as a SHA-256 hash. A token is
 * 32 random bytes (256 bits), so a plain hash suffices: there is nothing to brute-force that a slow
 * password hash would protect, and a hash per request stays cheap.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { TokenRecord } from "../store/store.js";

/** Recognisable in a leaked paste or a secret scanner, and in our own log redaction. */
export const TOKEN_PREFIX = "slw_";
/** `slw_` + 43 base64url characters (32 bytes). */
export const TOKEN_PATTERN = /^slw_[A-Za-z0-9_-]{43}$/;
/** Anything that looks like a token, wherever it appears in a line we log. */
const TOKEN_ANYWHERE = /slw_[A-Za-z0-9_-]+/g;

/** A fresh token, to print once: the caller stores `hashToken(token)` only. */
export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString("base64url");
}

/** The stored form: SHA-256 of the whole token, hex. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/**
 * The unrevoked token `presented` is, or null. Every stored hash is compared, in constant time and
 * without stopping at a match, so neither the comparison nor the loop says how close a guess was.
 */
export function matchToken(presented: string, tokens: readonly TokenRecord[]): TokenRecord | null {
  if (!TOKEN_PATTERN.test(presented)) return null;
  const mine = Buffer.from(hashToken(presented), "hex");
  let found: TokenRecord | null = null;
  for (const t of tokens) {
    const theirs = Buffer.from(t.hash, "hex");
    if (theirs.length === mine.length && timingSafeEqual(theirs, mine) && t.revokedAt === null) found = t;
  }
  return found;
}

/** A line with anything token-shaped masked: request paths and headers can carry one by mistake. */
export function maskTokens(line: string): string {
  return line.replace(TOKEN_ANYWHERE, `${TOKEN_PREFIX}[REDACTED]`);
}

/** Token names: short and plain, since they appear in tables, logs and `tokens revoke <name>`. */
export const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
