/**
 * `POST /chat/slack`: Slack's slash commands. Public to the bearer-token hook: the request is
 * authenticated by its signature instead, over the raw body, so the route lives in its own
 * encapsulated plugin with its own form parser (the string kept as received, then URLSearchParams):
 * a form parser added for the whole server later (browser forms) cannot take the raw body away.
 * Without `chat.slack` in slipway.yml it answers 404. Failed signatures count against the address
 * in the server's FailureLimiter, like failed tokens.
 */
import type { FastifyInstance } from "fastify";
import { handleSlash, slashForm } from "../chat/slack.js";
import { SlackVerifier } from "../chat/signature.js";
import type { ServeContext } from "../context.js";

const FORM = "application/x-www-form-urlencoded";
/** Slack's forms are small; anything far larger is not Slack. */
const BODY_LIMIT = 64 * 1024;

interface RawForm {
  raw: string;
  form: URLSearchParams;
}

export function chatRoutes(app: FastifyInstance, sc: ServeContext): void {
  const slack = sc.slack;
  const verifier = slack ? new SlackVerifier({ secret: slack.secret }) : null;
  app.register(async (scope) => {
    if (scope.hasContentTypeParser(FORM)) scope.removeContentTypeParser(FORM);
    scope.addContentTypeParser(FORM, { parseAs: "string", bodyLimit: BODY_LIMIT }, (_req, body, done) => {
      done(null, { raw: body as string, form: new URLSearchParams(body as string) } satisfies RawForm);
    });
    scope.post<{ Body: RawForm | undefined }>("/chat/slack", { config: { public: true } }, async (req, reply) => {
      if (!slack || !verifier) return reply.code(404).send({ error: "no route POST /chat/slack (chat.slack is not configured in slipway.yml)" });
      const wait = sc.limiter.retryAfter(req.ip);
      if (wait) {
        reply.header("retry-after", String(wait));
        return reply.code(429).send({ error: `too many failed authentications from ${req.ip}: try again in ${wait} s` });
      }
      const body = req.body;
      if (!body || typeof body.raw !== "string") return reply.code(415).send({ error: `expected ${FORM}` });
      const check = verifier.verify(req.headers, body.raw);
      if (!check.ok) {
        sc.limiter.fail(req.ip);
        sc.log(`chat: refused a request from ${req.ip}: ${check.reason}`);
        return reply.code(401).send({ error: check.reason });
      }
      const form = slashForm(body.form);
      if (!form) return reply.code(400).send({ error: "expected a slash command form (command, user_id)" });
      const { answer } = await handleSlash(sc, slack, form);
      return reply.code(200).send(answer);
    });
  });
}
