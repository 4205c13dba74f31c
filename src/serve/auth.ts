/**
 * Authentication and roles. A request proves who it is with a bearer token (scripts, CI) or with
 * the session cookie of a browser that logged in with one (sessions.ts). Unknown or revoked token:
 * 401 (a page without a session is sent to /login instead); a token whose role may not use the
 * route: 403; an address with too many failed attempts: 429 (checked first, so a guesser learns
 * nothing more once limited). A state-changing request made with the cookie must carry the
 * session's CSRF token and, when the browser sends an Origin, come from this server's own origin.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { TokenRecord, TokenRole } from "../store/store.js";
import type { ServeContext } from "./context.js";
import { sendErrorPage } from "./pages/error.js";
import { csrfMatches, SESSION_COOKIE, type Session } from "./sessions.js";
import { matchToken } from "./tokens.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The token this request authenticated with (set by `authenticate`): for a browser, its session's. */
    token: TokenRecord | null;
    /** The browser session the request came with (null: a bearer token, or a public route). */
    session: Session | null;
  }
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Which roles may do what: a deployer may do everything a viewer may. */
const GRANTS: Record<TokenRole, readonly TokenRole[]> = { deployer: ["deployer", "viewer"], viewer: ["viewer"] };

export function roleAllows(have: TokenRole, need: TokenRole): boolean {
  return GRANTS[have].includes(need);
}

/** An onRequest hook: sets request.token, or answers 401/429 itself. */
export function authenticate(sc: ServeContext) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const header = req.headers.authorization;
    if (!header) {
      // A live session is let in before the limiter is asked: someone guessing tokens from the same
      // address (every user behind one proxy shares it) must not lock out people already logged in.
      const session = sc.sessions.get(req.cookies?.[SESSION_COOKIE]);
      if (session) {
        // The token is looked up again on every request: revoking it ends its sessions at once.
        const token = (await sc.store.listTokens()).find((t) => t.hash === session.tokenHash && t.revokedAt === null);
        if (token) {
          req.token = token;
          req.session = session;
          return;
        }
        sc.sessions.delete(session.id);
      }
    }
    const wait = sc.limiter.retryAfter(req.ip);
    if (wait) {
      reply.header("retry-after", String(wait));
      return reply.code(429).send({ error: `too many failed authentications from ${req.ip}: try again in ${wait} s` });
    }
    if (!header && req.routeOptions.config?.page) return reply.redirect(`/login?next=${encodeURIComponent(req.url)}`, 303);
    const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m) {
      reply.header("www-authenticate", 'Bearer realm="slipway"');
      return reply.code(401).send({ error: "missing token: send Authorization: Bearer <token> (slipway tokens create)" });
    }
    const token = matchToken(m[1]!, await sc.store.listTokens());
    if (!token) {
      // Only a presented, wrong token counts as a failed attempt: a page without one is not guessing.
      sc.limiter.fail(req.ip);
      reply.header("www-authenticate", 'Bearer realm="slipway", error="invalid_token"');
      return reply.code(401).send({ error: "unknown or revoked token" });
    }
    req.token = token;
  };
}

/** A preHandler for routes that need more than reading: 403 names the role the token has and the one it needs. */
export function requireRole(need: TokenRole) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const t = req.token;
    if (!t || !roleAllows(t.role, need)) {
      const why = `token "${t?.name ?? "?"}" has role ${t?.role ?? "none"}; this needs role ${need}`;
      return req.routeOptions.config?.page ? sendErrorPage(reply, 403, why) : reply.code(403).send({ error: why });
    }
  };
}

/**
 * A preHandler for every route (after the body is parsed): a cookie-authenticated request that
 * changes state needs the session's CSRF token, and a foreign Origin is refused outright. Bearer
 * requests need neither: no browser attaches a bearer header by itself.
 */
export async function checkCsrf(req: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (!req.session || SAFE_METHODS.has(req.method)) return;
  const origin = req.headers.origin;
  const refuse = (why: string) => (req.routeOptions.config?.page ? sendErrorPage(reply, 403, why) : reply.code(403).send({ error: why }));
  if (origin !== undefined && !sameOrigin(origin, req.headers.host)) return refuse(`cross-origin request from ${origin} refused`);
  const body = req.body as Record<string, unknown> | undefined;
  const sent = req.headers["x-csrf-token"] ?? (body && typeof body === "object" ? body._csrf : undefined);
  if (!csrfMatches(req.session, sent)) return refuse("missing or wrong CSRF token: reload the page and try again");
}

export function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}
