/**
 * Slack's request signing (v0): `x-slack-signature: v0=<hex HMAC-SHA256(secret, "v0:" + ts + ":" + body)>`
 * with `x-slack-request-timestamp: <unix seconds>`. A request is accepted only when the signature
 * matches the raw body (compared in constant time), its timestamp is within the window of this
 * server's clock, and the same signature has not been accepted before within that window (so a
 * captured request cannot be played again, even inside the window).
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** Slack's own recommendation: refuse requests more than five minutes from the local clock. */
export const SIGNATURE_WINDOW_S = 5 * 60;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export interface VerifierOptions {
  secret: string;
  /** Milliseconds since the epoch (tests inject a clock). */
  now?: () => number;
  windowS?: number;
  /** Signatures remembered at most; when full and none has expired, the request is refused (never forgotten early). */
  maxRemembered?: number;
}

/** The header value Slack would send for this body at this time. */
export function slackSignature(secret: string, timestamp: string, body: string): string {
  return `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:${body}`, "utf8").digest("hex")}`;
}

const TIMESTAMP = /^[0-9]{1,12}$/;
const SIGNATURE = /^v0=([0-9a-f]{64})$/;

export class SlackVerifier {
  /** Accepted signatures → the request timestamp (seconds): a replay is refused until it falls out of the window. */
  private seen = new Map<string, number>();
  private readonly now: () => number;
  private readonly windowS: number;
  private readonly max: number;

  constructor(private readonly o: VerifierOptions) {
    this.now = o.now ?? Date.now;
    this.windowS = o.windowS ?? SIGNATURE_WINDOW_S;
    this.max = o.maxRemembered ?? 10_000;
  }

  /** Check one request; on success its signature is remembered. Header values as Node gives them (string, array or missing). */
  verify(headers: Record<string, string | string[] | undefined>, rawBody: string): SignatureCheck {
    const ts = single(headers["x-slack-request-timestamp"]);
    const sig = single(headers["x-slack-signature"]);
    if (ts === undefined || sig === undefined) return { ok: false, reason: "missing x-slack-request-timestamp or x-slack-signature" };
    if (!TIMESTAMP.test(ts)) return { ok: false, reason: "x-slack-request-timestamp: expected unix seconds" };
    const m = SIGNATURE.exec(sig.toLowerCase());
    if (!m) return { ok: false, reason: "x-slack-signature: expected v0=<64 hex digits>" };
    const nowS = Math.floor(this.now() / 1000);
    // Checked before the HMAC, but both refusals look alike to the caller apart from the reason.
    if (Math.abs(nowS - Number(ts)) > this.windowS)
      return { ok: false, reason: `stale request: its timestamp is more than ${this.windowS / 60} minutes from this server's clock` };
    const mine = Buffer.from(slackSignature(this.o.secret, ts, rawBody).slice(3), "hex");
    const theirs = Buffer.from(m[1]!, "hex");
    if (mine.length !== theirs.length || !timingSafeEqual(mine, theirs)) return { ok: false, reason: "bad signature" };
    this.prune(nowS);
    const key = m[1]!;
    if (this.seen.has(key)) return { ok: false, reason: "replayed request: this signature was already accepted" };
    if (this.seen.size >= this.max) return { ok: false, reason: "too many requests in the signature window: try again later" };
    this.seen.set(key, Number(ts));
    return { ok: true };
  }

  /** How many signatures are remembered (for tests of the bound). */
  get size(): number {
    return this.seen.size;
  }

  private prune(nowS: number): void {
    for (const [k, ts] of this.seen) if (Math.abs(nowS - ts) > this.windowS) this.seen.delete(k);
  }
}

function single(v: string | string[] | undefined): string | undefined {
  // Two copies of a header are not one value: refused as missing rather than picking one.
  return typeof v === "string" ? v.trim() : undefined;
}
