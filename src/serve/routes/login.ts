/**
 * `GET /login`, `POST /login` (a token → a session cookie), `POST /logout`. Failed logins count
 * against the same per-address limiter as bad bearer tokens, so the form is no easier to guess at.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { sameOrigin } from "../auth.js";
import type { ServeContext } from "../context.js";
import { htmlHeaders } from "../pages/layout.js";
import { loginPage } from "../pages/login.js";
import { SESSION_COOKIE } from "../sessions.js";
import { matchToken } from "../tokens.js";

/** Where to go after logging in: only a path on this server (`//evil.example` is another site). */
export function safeNext(next: unknown): string {
  return typeof next === "string" && /^\/(?![/\\])[\x21-\x7e]*$/.test(next) && next.length < 2000 ? next : "/";
}

export function loginRoutes(app: FastifyInstance, sc: ServeContext): void {
  const app_ = sc.loaded.raw.app;
  const html = (reply: FastifyReply, code: number, body: string) => htmlHeaders(reply.code(code)).send(body);

  app.get<{ Querystring: { next?: string } }>("/login", { config: { public: true } }, async (req, reply) =>
    html(reply, 200, loginPage(app_, safeNext(req.query.next))),
  );

  app.post<{ Body: { token?: unknown; next?: unknown } }>(
    "/login",
    { config: { public: true } },
    async (req: FastifyRequest<{ Body: { token?: unknown; next?: unknown } }>, reply) => {
      const next = safeNext(req.body?.next);
      // Login CSRF: another site must not log this browser into a session of its choosing.
      const origin = req.headers.origin;
      if (origin !== undefined && !sameOrigin(origin, req.headers.host))
        return html(reply, 403, loginPage(app_, next, `Cross-origin login from ${origin} refused.`));
      const wait = sc.limiter.retryAfter(req.ip);
      if (wait) {
        reply.header("retry-after", String(wait));
        return html(reply, 429, loginPage(app_, next, `Too many failed logins from ${req.ip}: try again in ${wait} s.`));
      }
      const presented = typeof req.body?.token === "string" ? req.body.token.trim() : "";
      const token = presented ? matchToken(presented, await sc.store.listTokens()) : null;
      if (!token) {
        if (presented) sc.limiter.fail(req.ip);
        return html(reply, 401, loginPage(app_, next, "Unknown or revoked token."));
      }
      const s = sc.sessions.create(token);
      reply.setCookie(SESSION_COOKIE, s.id, {
        path: "/",
        httpOnly: true,
        sameSite: "strict",
        secure: sc.tls,
        maxAge: Math.floor((s.expiresAt - s.createdAt) / 1000),
      });
      sc.log(`login: token ${token.name} (${token.role}) from ${req.ip}`);
      return reply.redirect(next, 303);
    },
  );

  app.post("/logout", { config: { page: true } }, async (req, reply) => {
    if (req.session) sc.sessions.delete(req.session.id);
    reply.clearCookie(SESSION_COOKIE, { path: "/", httpOnly: true, sameSite: "strict", secure: sc.tls });
    return reply.redirect("/login", 303);
  });
}
