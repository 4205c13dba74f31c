/**
 * Browser sessions of the dashboard. A person logs in once with an API token; the server answers
 * with a random session id in an HttpOnly, SameSite=Strict cookie (Secure under TLS), so the token
 * itself never sits in the browser's storage or in page URLs. Sessions live in this process's
 * memory: restarting `slipway serve` logs everyone out, which is the safe direction.
 *
 * CSRF: each session has its own random token (synchronizer pattern). Every state-changing request
 * made with the cookie must send it back (form field `_csrf` or header `x-csrf-token`); SameSite=Strict
 * already keeps other sites' requests cookieless, this holds even where a browser ignores it.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { TokenRecord } from "../store/store.js";

export const SESSION_COOKIE = "slipway_session";

export interface Session {
  id: string;
  /** The stored hash of the token the session logged in with: a revoked token ends its sessions too. */
  tokenHash: string;
  csrf: string;
  createdAt: number;
  expiresAt: number;
}

export interface SessionOptions {
  ttlMs: number;
  /** Sessions held at most; the oldest go first (a flood of logins cannot exhaust memory). */
  max?: number;
  now?: () => number;
}

const random = () => randomBytes(32).toString("base64url");
/** The map is keyed by a hash of the id, so a timing difference in the lookup says nothing about a real id. */
const keyOf = (id: string) => createHash("sha256").update(id).digest("hex");

export class SessionStore {
  private sessions = new Map<string, Session>();
  private now: () => number;

  constructor(private o: SessionOptions) {
    this.now = o.now ?? Date.now;
  }

  create(token: TokenRecord): Session {
    const t = this.now();
    const s: Session = { id: random(), tokenHash: token.hash, csrf: random(), createdAt: t, expiresAt: t + this.o.ttlMs };
    this.sessions.set(keyOf(s.id), s);
    const max = this.o.max ?? 10_000;
    while (this.sessions.size > max) this.sessions.delete(this.sessions.keys().next().value!);
    return s;
  }

  /** The live session with this id, or null (unknown, expired, or malformed). */
  get(id: string | undefined): Session | null {
    if (!id || !/^[A-Za-z0-9_-]{43}$/.test(id)) return null;
    const k = keyOf(id);
    const s = this.sessions.get(k);
    if (!s) return null;
    if (s.expiresAt <= this.now()) {
      this.sessions.delete(k);
      return null;
    }
    return s;
  }

  delete(id: string): void {
    this.sessions.delete(keyOf(id));
  }
}

/** The CSRF token a request sent matches its session's (constant time). */
export function csrfMatches(session: Session, sent: unknown): boolean {
  if (typeof sent !== "string") return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(session.csrf);
  return a.length === b.length && timingSafeEqual(a, b);
}
