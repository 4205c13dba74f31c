/**
 * Bearer-token authentication and roles for /api routes. Unknown or revoked token: 401; a token
 * whose role may not use the route: 403; an address with too many failed attempts: 429 (checked
 * first, so a guesser learns nothing more once limited).
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { TokenRecord, TokenRole } from "../store/store.js";
import type { ServeContext } from "./context.js";
import { matchToken } from "./tokens.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The token this request authenticated with (set by `authenticate`). */
    token: TokenRecord | null;
  }
}

/** Which roles may do what: a deployer may do everything a viewer may. */
const GRANTS: Record<TokenRole, readonly TokenRole[]> = { deployer: ["deployer", "viewer"], viewer: ["viewer"] };

export function roleAllows(have: TokenRole, need: TokenRole): boolean {
  return GRANTS[have].includes(need);
}

/** An onRequest hook: sets request.token, or answers 401/429 itself. */
export function authenticate(sc: ServeContext) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const wait = sc.limiter.retryAfter(req.ip);
    if (wait) {
      reply.header("retry-after", String(wait));
      return reply.code(429).send({ error: `too many failed authentications from ${req.ip}: try again in ${wait} s` });
    }
    const header = req.headers.authorization;
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
    if (!t || !roleAllows(t.role, need))
      return reply.code(403).send({ error: `token "${t?.name ?? "?"}" has role ${t?.role ?? "none"}; this needs role ${need}` });
  };
}
