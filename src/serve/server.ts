/**
 * The `slipway serve` HTTP server. Fastify: well kept, typed, fast, with per-route hooks (where the
 * token and role checks sit) and TLS through Node's own https; one file per resource in routes/,
 * so the dashboard pages, live logs, actions and chatops add routes without touching these.
 */
import cookie from "@fastify/cookie";
import formbody from "@fastify/formbody";
import Fastify, { type FastifyInstance } from "fastify";
import { authenticate, checkCsrf } from "./auth.js";
import type { ServeContext } from "./context.js";
import { ApiError } from "./errors.js";
import { actionRoutes } from "./routes/actions.js";
import { assetRoutes } from "./routes/assets.js";
import { chatRoutes } from "./routes/chat.js";
import { environmentRoutes } from "./routes/environments.js";
import { healthRoutes } from "./routes/health.js";
import { historyRoutes } from "./routes/history.js";
import { loginRoutes } from "./routes/login.js";
import { pageRoutes } from "./routes/pages.js";
import { metricsRoutes } from "./routes/metrics.js";
import { runRoutes } from "./routes/runs.js";
import { streamRoutes } from "./routes/stream.js";
import { scheduleRoutes } from "./routes/schedules.js";
import { tokenRoutes } from "./routes/tokens.js";
import { maskTokens } from "./tokens.js";
import { sendErrorPage } from "./pages/error.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /** The route answers without a token (health). */
    public?: boolean;
    /** An HTML page: without a session the browser is sent to /login, and errors render as a page. */
    page?: boolean;
  }
}

export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

export function buildServer(sc: ServeContext, tls?: TlsFiles): FastifyInstance {
  // Fastify's own logger is off: it would log request headers' shapes we do not control; one access
  // line per request is written below, with anything token-shaped masked.
  // requestTimeout: a client that trickles its request (one byte a second) is cut off instead of
  // holding a socket forever; a live log's response is not a request, so it is not cut.
  // trustProxy: behind a proxy the client's address is the one it forwards (the limiter counts it).
  const base = { logger: false, requestTimeout: 30_000, trustProxy: sc.trustProxy ?? false } as const;
  const app = (tls ? Fastify({ ...base, https: { cert: tls.cert, key: tls.key } }) : Fastify(base)) as unknown as FastifyInstance;
  app.decorateRequest("token", null);
  app.decorateRequest("session", null);
  // @fastify/cookie: the official cookie parser/serializer (quoting, attributes), global to every route.
  void app.register(cookie);
  const auth = authenticate(sc);
  // Every route needs a token unless it says `public` (by route, not by URL prefix, so no spelling
  // of a path can reach a route unauthenticated); unknown paths too, so they reveal nothing.
  app.addHook("onRequest", async (req, reply) => {
    if (!req.routeOptions.config?.public) return auth(req, reply);
  });
  app.addHook("preHandler", checkCsrf);
  app.addHook("onResponse", async (req, reply) => {
    const who = req.token ? ` token=${req.token.name}` : "";
    sc.log(maskTokens(`${req.method} ${req.url} ${reply.statusCode} ${Math.round(reply.elapsedTime)}ms ${req.ip}${who}`));
  });
  app.setErrorHandler(async (err, req, reply) => {
    if (err instanceof ApiError)
      return req.routeOptions.config?.page ? sendErrorPage(reply, err.status, err.message) : reply.code(err.status).send({ error: err.message });
    const status = (err as { statusCode?: number }).statusCode;
    // Fastify's own client errors (a malformed body, say): their message is about the request.
    if (status && status >= 400 && status < 500) return reply.code(status).send({ error: (err as Error).message });
    sc.log(maskTokens(sc.redact(`internal error: ${(err as Error).stack ?? String(err)}`)));
    return reply.code(500).send({ error: "internal error (see the server's log)" });
  });
  app.setNotFoundHandler(async (req, reply) => reply.code(404).send({ error: `no route ${req.method} ${maskTokens(req.url.split("?")[0]!)}` }));
  healthRoutes(app);
  environmentRoutes(app, sc);
  historyRoutes(app, sc);
  metricsRoutes(app, sc);
  runRoutes(app, sc);
  tokenRoutes(app, sc);
  streamRoutes(app, sc);
  assetRoutes(app);
  // The browser's routes post HTML forms: @fastify/formbody (official) parses them, in this scope
  // only, so other routes keep their own parsers (a signed webhook needs its raw body).
  void app.register(async (browser) => {
    await browser.register(formbody);
    loginRoutes(browser, sc);
    pageRoutes(browser, sc);
    actionRoutes(browser, sc);
  });
  scheduleRoutes(app, sc);
  chatRoutes(app, sc);
  return app;
}
