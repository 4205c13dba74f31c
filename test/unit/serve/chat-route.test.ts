/**
 * POST /chat/slack through Fastify's inject: the raw body reaches the signature check even with a
 * server-wide form parser (@fastify/formbody) registered before or after, refusals run nothing, and
 * a good request answers with the plan and starts the action with who asked.
 */
import formbody from "@fastify/formbody";
import Fastify, { type FastifyInstance } from "fastify";
import { describe, expect, it } from "vitest";
import type { SlackSettings } from "../../../src/config/chat.js";
import { makeRedactor } from "../../../src/events/redact.js";
import { slackSignature } from "../../../src/serve/chat/signature.js";
import type { ServeContext } from "../../../src/serve/context.js";
import { FailureLimiter } from "../../../src/serve/limiter.js";
import { chatRoutes } from "../../../src/serve/routes/chat.js";
import type { CliCall, CliOutcome } from "../../../src/serve/runner.js";

const SECRET = "test-signing-secret-0123456789";
const slack: SlackSettings = { secretEnv: "S", secret: SECRET, users: { U1: "deployer", U2: "viewer" } };

function context(s: SlackSettings | null = slack) {
  const calls: { kind: string; call: CliCall }[] = [];
  const logs: string[] = [];
  const out = (stdout: string): Promise<CliOutcome> => Promise.resolve({ code: 0, signal: null, stdout, stderr: "" });
  const runner = {
    capture: (call: CliCall) => {
      calls.push({ kind: "capture", call });
      return out(`PLAN for ${call.args.join(" ")} <!channel> ${SECRET}\n`);
    },
    start: (call: CliCall) => {
      calls.push({ kind: "start", call });
      return { key: "k", call, done: out("done\n") };
    },
    runOf: async () => ({ id: 7 }),
  };
  const redact = makeRedactor([SECRET]);
  const env = { env: {}, redact };
  const sc = {
    environments: new Map([
      ["production", env],
      ["staging", env],
    ]),
    limiter: new FailureLimiter({ max: 3, windowMs: 60_000 }),
    redact,
    log: (l: string) => logs.push(l),
    runner,
    slack: s,
    store: {},
  } as unknown as ServeContext;
  return { sc, calls, logs };
}

function form(fields: Record<string, string>): string {
  return new URLSearchParams({ team_id: "T1", user_id: "U1", user_name: "ada", command: "/deploy", text: "production", ...fields }).toString();
}

async function post(app: FastifyInstance, body: string, o: { ts?: number; sig?: string; secret?: string } = {}) {
  const ts = String(o.ts ?? Math.floor(Date.now() / 1000));
  const sig = o.sig ?? slackSignature(o.secret ?? SECRET, ts, body);
  return app.inject({
    method: "POST",
    url: "/chat/slack",
    payload: body,
    headers: { "content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": ts, "x-slack-signature": sig },
  });
}

async function server(c: ReturnType<typeof context>, formbodyAt: "none" | "before" | "after" = "none") {
  const app = Fastify({ logger: false });
  if (formbodyAt === "before") await app.register(formbody);
  chatRoutes(app, c.sc);
  if (formbodyAt === "after") await app.register(formbody);
  app.post("/other-form", async (req) => ({ body: req.body }));
  await app.ready();
  return app;
}

describe("POST /chat/slack", () => {
  for (const at of ["none", "before", "after"] as const) {
    it(`keeps the raw body for the signature with a server-wide form parser (${at})`, async () => {
      const c = context();
      const app = await server(c, at);
      const r = await post(app, form({ text: "production main -- a+b=c&d" }));
      expect(r.statusCode, r.body).toBe(200);
      expect(r.json()).toMatchObject({ response_type: "in_channel" });
      if (at !== "none") {
        // the rest of the server still gets formbody's parsed object
        const other = await app.inject({
          method: "POST",
          url: "/other-form",
          payload: "a=1",
          headers: { "content-type": "application/x-www-form-urlencoded" },
        });
        expect(other.json()).toEqual({ body: { a: "1" } });
      }
      await app.close();
    });
  }

  it("a good /deploy: the plan in the channel (redacted, escaped), then the deploy started as slack:<user>", async () => {
    const c = context();
    const app = await server(c);
    const r = await post(app, form({ text: "production main -- weekly" }));
    const answer = r.json();
    expect(answer.response_type).toBe("in_channel");
    expect(answer.text).toContain("*deploy* of production at `main` by slack:ada");
    expect(answer.text).toContain("PLAN for deploy --plan --ref=main &lt;!channel&gt; [REDACTED]");
    expect(answer.text).not.toContain(SECRET);
    await expect.poll(() => c.calls.length).toBe(2);
    expect(c.calls).toEqual([
      { kind: "capture", call: { env: "production", args: ["deploy", "--plan", "--ref=main"], user: "slack:ada" } },
      { kind: "start", call: { env: "production", args: ["deploy", "--ref=main", "--message=weekly"], user: "slack:ada" } },
    ]);
    await app.close();
  });

  it("refuses bad, stale, replayed and unsigned requests with 401 and a reason, running nothing; then 429", async () => {
    const c = context();
    const app = await server(c);
    const body = form({});
    expect((await post(app, body, { secret: "wrong" })).json()).toEqual({ error: "bad signature" });
    const old = await post(app, body, { ts: Math.floor(Date.now() / 1000) - 301 });
    expect(old.statusCode).toBe(401);
    expect(old.json().error).toMatch(/^stale request/);
    const ts = Math.floor(Date.now() / 1000);
    expect((await post(app, body, { ts })).statusCode).toBe(200);
    await expect.poll(() => c.calls.length).toBe(2);
    const replay = await post(app, body, { ts });
    expect(replay.statusCode).toBe(401);
    expect(replay.json().error).toMatch(/^replayed request/);
    // three failures from this address: limited, even for a good request
    const limited = await post(app, form({ text: "staging" }));
    expect(limited.statusCode).toBe(429);
    expect(c.calls.length).toBe(2);
    expect(c.logs.join("\n")).not.toContain(SECRET);
    await app.close();
  });

  it("no signature headers, a JSON body or a malformed form: refused, nothing run", async () => {
    const c = context();
    const app = await server(c);
    const none = await app.inject({ method: "POST", url: "/chat/slack", payload: form({}), headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(none.statusCode).toBe(401);
    const json = await app.inject({ method: "POST", url: "/chat/slack", payload: { command: "/deploy" } });
    expect(json.statusCode).toBe(415);
    const noUser = await post(app, "command=%2Fdeploy&text=production");
    expect(noUser.statusCode).toBe(400);
    expect(c.calls).toEqual([]);
    await app.close();
  });

  it("viewers may only /status; unknown users and environments get an ephemeral answer", async () => {
    const c = context();
    const app = await server(c);
    const viewer = await post(app, form({ user_id: "U2", user_name: "carol", command: "/deploy" }));
    expect(viewer.json()).toEqual({ response_type: "ephemeral", text: "Your role is viewer: you may only use `/status`. `/deploy` needs deployer." });
    const stranger = await post(app, form({ user_id: "U9", user_name: "mallory" }));
    expect(stranger.json().text).toMatch(/^You are not allowed to use Slipway here: ask an admin to add your user id `U9`/);
    const unknown = await post(app, form({ text: "prod" }));
    expect(unknown.json()).toMatchObject({
      response_type: "ephemeral",
      text: expect.stringMatching(/^Unknown environment `prod`\.\nEnvironments: `production`, `staging`/),
    });
    expect(c.calls).toEqual([]);
    const status = await post(app, form({ user_id: "U2", user_name: "carol", command: "/status" }));
    expect(status.json()).toMatchObject({ response_type: "in_channel", text: expect.stringContaining("PLAN for status") });
    expect(c.calls).toEqual([{ kind: "capture", call: { env: "production", args: ["status"], user: "slack:carol" } }]);
    await app.close();
  });

  it("takes the form with a charset parameter, as Slack sends it", async () => {
    const c = context();
    const app = await server(c, "before");
    const body = form({ command: "/status" });
    const ts = String(Math.floor(Date.now() / 1000));
    const r = await app.inject({
      method: "POST",
      url: "/chat/slack",
      payload: body,
      headers: {
        "content-type": "application/x-www-form-urlencoded; charset=utf-8",
        "x-slack-request-timestamp": ts,
        "x-slack-signature": slackSignature(SECRET, ts, body),
      },
    });
    expect(r.statusCode, r.body).toBe(200);
    await app.close();
  });

  it("without chat.slack: 404", async () => {
    const c = context(null);
    const app = await server(c);
    const r = await post(app, form({}));
    expect(r.statusCode).toBe(404);
    expect(c.calls).toEqual([]);
    await app.close();
  });
});
