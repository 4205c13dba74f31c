/**
 * Chat commands through a real `slipway serve`: Slack-signed form posts to /chat/slack, a local
 * HTTP server standing in for Slack's response_url (recording every JSON post), and local hosts
 * that a /deploy from chat really changes. Refused requests (bad signature, old timestamp, a replay
 * of a captured request, a viewer's /deploy) change nothing: same current release, same history.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { slackSignature } from "../../src/serve/chat/signature.js";
import { type CliResult, cliSpawn, Project } from "../helpers.js";
import { type Served, startServe } from "../serve-harness.js";

const SECRET = "chat-e2e-signing-secret-5a2f9c0e7b";
const ENV = { CHAT_TEST_SECRET: SECRET };

let p: Project;
let serveUrl: string;
let served: Served;
let hook: http.Server;
let hookUrl: string;
/** Everything posted to the response_url, by the path it was posted to. */
const posted: { path: string; body: { response_type: string; text: string } }[] = [];

const run = (env: Record<string, string>, ...args: string[]): Promise<CliResult> => cliSpawn(args, { cwd: p.dir, env }).done;

interface Signed {
  body: string;
  headers: Record<string, string>;
}
function signed(fields: Record<string, string>, o: { ts?: number; secret?: string } = {}): Signed {
  const body = new URLSearchParams({
    token: "deprecated-verification-token",
    team_id: "T0001",
    channel_id: "C0001",
    user_id: "UADA",
    user_name: "ada",
    command: "/deploy",
    text: "prod",
    ...fields,
  }).toString();
  const ts = String(o.ts ?? Math.floor(Date.now() / 1000));
  return {
    body,
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "x-slack-request-timestamp": ts,
      "x-slack-signature": slackSignature(o.secret ?? SECRET, ts, body),
    },
  };
}
// biome-ignore lint/suspicious/noExplicitAny: response bodies are JSON whose shape each test asserts
async function send(req: Signed): Promise<{ status: number; body: any; ms: number }> {
  const t0 = Date.now();
  const res = await fetch(`${serveUrl}/chat/slack`, { method: "POST", headers: req.headers, body: req.body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, ms: Date.now() - t0 };
}
const postsTo = (path: string) => posted.filter((x) => x.path === path).map((x) => x.body.text);
const historyLength = async () => JSON.parse((await run({}, "prod", "history", "--json")).stdout).length as number;

beforeAll(async () => {
  hook = http.createServer((req, res) => {
    let data = "";
    req.setEncoding("utf8").on("data", (c) => (data += c));
    req.on("end", () => {
      posted.push({ path: req.url ?? "", body: JSON.parse(data) });
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;

  p = new Project("slipway-chat-");
  p.writeConfig(`app: chatapp
source: { git: ./app, ref: main }
chat:
  slack:
    signing_secret_env: CHAT_TEST_SECRET
    team_id: T0001
    users: { UADA: deployer, UCAROL: viewer }
environments:
  prod:
    hosts:
      - { name: h1, transport: local, deploy_to: ./hosts/h1 }
      - { name: h2, transport: local, deploy_to: ./hosts/h2 }
  staging:
    hosts:
      - { name: s1, transport: local, deploy_to: ./hosts/s1 }
`);
  p.repo.commit({ "index.html": "v1" }, "first");
  const first = await run({ SLIPWAY_USER: "bob" }, "prod", "deploy");
  expect(first.code, first.stderr).toBe(0);
  p.repo.commit({ "index.html": "v2" }, "second");

  served = await startServe(p, [], ENV);
  serveUrl = served.url;
}, 90_000);

afterAll(async () => {
  await served?.stop();
  hook?.close();
  p?.cleanup();
});

describe("chat: /deploy from Slack", () => {
  it("answers at once in the channel with the plan, deploys for real as slack:<user>, posts progress and ok", async () => {
    const before = p.current("h1");
    const r = await send(signed({ text: "prod main -- from chat", response_url: `${hookUrl}/deploy1` }));
    expect(r.status).toBe(200);
    expect(r.ms).toBeLessThan(3_000);
    expect(r.body.response_type).toBe("in_channel");
    expect(r.body.text).toMatch(/^\*deploy\* of prod at `main` by slack:ada \("from chat"\)/);
    // the plan is in the first answer, or (a slow machine) the first post
    await expect.poll(() => postsTo("/deploy1").some((t) => /: ok \(run \d+\)/.test(t)), { timeout: 60_000 }).toBe(true);
    const all = [r.body.text, ...postsTo("/deploy1")].join("\n");
    expect(all).toMatch(/```[\s\S]*h1[\s\S]*```/);
    expect(all).toMatch(/fetch|switch/);
    const started = postsTo("/deploy1").find((t) => /started, run \d+$/.test(t));
    expect(started).toMatch(/^\*deploy\* of prod at `main` by slack:ada \("from chat"\): started, run \d+$/);
    const ok = postsTo("/deploy1").at(-1)!;
    expect(ok).toMatch(/: ok \(run \d+\)/);
    expect(ok).toMatch(/deployed \d{8}-\d{6}-[0-9a-f]{7}/);
    // the hosts really moved, and history says who
    const now = p.current("h1");
    expect(now).not.toBe(before);
    expect(p.current("h2")).toBe(now);
    expect(p.read("h1", "current/index.html")).toBe("v2");
    const hist = JSON.parse((await run({}, "prod", "history", "--json")).stdout);
    expect(hist[0]).toMatchObject({ release: now, by: expect.stringMatching(/^slack:ada@/) });
    const local = JSON.parse((await run({}, "prod", "history", "--local", "--json")).stdout);
    expect(local[0]).toMatchObject({ verb: "deploy", outcome: "ok", by: expect.stringMatching(/^slack:ada@/) });
  }, 90_000);

  it("/lock then /status shows the lock; /unlock releases it", async () => {
    const lock = await send(signed({ command: "/lock", text: "prod db maintenance --help", response_url: `${hookUrl}/lock` }));
    expect(lock.body).toMatchObject({ response_type: "in_channel", text: '*lock* of prod by slack:ada ("db maintenance --help")' });
    await expect.poll(() => postsTo("/lock").some((t) => /: ok/.test(t)), { timeout: 30_000 }).toBe(true);
    expect(p.lockExists("h1")).toBe(true);
    expect(postsTo("/lock").at(-1)).toMatch(/locked: "db maintenance --help"/);

    // a viewer may look
    const status = await send(signed({ command: "/status", text: "prod", user_id: "UCAROL", user_name: "carol", response_url: `${hookUrl}/status` }));
    expect(status.status).toBe(200);
    const statusText = status.body.text.includes("```") ? status.body.text : await waitPost("/status");
    expect(statusText).toMatch(/lock/i);
    expect(statusText).toContain("db maintenance --help");
    expect(statusText).toContain("slack:ada");

    // while it is held, a deploy from chat fails at the lock: the failure and its reason are posted, nothing moves
    const current = p.current("h1");
    const blocked = await send(signed({ text: "prod", response_url: `${hookUrl}/blocked` }));
    expect(blocked.body.response_type).toBe("in_channel");
    await expect.poll(() => postsTo("/blocked").some((t) => /: failed \(exit \d+\)/.test(t)), { timeout: 60_000 }).toBe(true);
    expect(postsTo("/blocked").at(-1)).toMatch(/lock/i);
    expect(postsTo("/blocked").at(-1)).toContain("slack:ada");
    expect(p.current("h1")).toBe(current);

    const unlock = await send(signed({ command: "/unlock", text: "prod", response_url: `${hookUrl}/unlock` }));
    expect(unlock.body.response_type).toBe("in_channel");
    await expect.poll(() => postsTo("/unlock").some((t) => /: ok/.test(t)), { timeout: 30_000 }).toBe(true);
    expect(p.lockExists("h1")).toBe(false);
  }, 90_000);
});

describe("chat: /rollback from Slack", () => {
  it("plans, then rolls back for real to the release before, and says so", async () => {
    const [older, newer] = p.releases("h1").slice(-2);
    expect(p.current("h1")).toBe(newer);
    const r = await send(signed({ command: "/rollback", text: "prod", response_url: `${hookUrl}/rollback` }));
    expect(r.body).toMatchObject({ response_type: "in_channel", text: expect.stringMatching(/^\*rollback\* of prod by slack:ada/) });
    await expect.poll(() => postsTo("/rollback").some((t) => /: (ok|failed)/.test(t)), { timeout: 60_000 }).toBe(true);
    expect(postsTo("/rollback").at(-1)).toMatch(new RegExp(`: ok \\(run \\d+\\)[\\s\\S]*rolled back to ${older}`));
    expect([r.body.text, ...postsTo("/rollback")].join("\n")).toContain(older);
    expect(p.current("h1")).toBe(older);
    expect(p.current("h2")).toBe(older);
    const local = JSON.parse((await run({}, "prod", "history", "--local", "--json")).stdout);
    expect(local[0]).toMatchObject({ verb: "rollback", outcome: "ok", by: expect.stringMatching(/^slack:ada@/) });
  }, 90_000);
});

describe("chat: a plan that fails starts nothing", () => {
  it("an unknown ref: the plan's failure is the answer, no deploy runs", async () => {
    const current = p.current("h1");
    const entries = await historyLength();
    const r = await send(signed({ text: "prod no-such-branch", response_url: `${hookUrl}/badref` }));
    expect(r.status).toBe(200);
    const text = r.body.text.includes("plan failed") ? r.body.text : await waitPost("/badref");
    expect(text).toMatch(/plan failed \(exit \d+\): nothing was started/);
    expect(text).toContain("no-such-branch");
    await new Promise((res) => setTimeout(res, 1_000));
    expect(postsTo("/badref").filter((t) => /started, run/.test(t))).toEqual([]);
    expect(p.current("h1")).toBe(current);
    expect(await historyLength()).toBe(entries);
  }, 60_000);
});

async function waitPost(path: string): Promise<string> {
  await expect.poll(() => postsTo(path).length, { timeout: 30_000 }).toBeGreaterThan(0);
  return postsTo(path).join("\n");
}

describe("chat: refused requests change nothing", () => {
  it("bad signature, old timestamp, a replayed request, a viewer's /deploy, an unknown user: refused, hosts and history unchanged", async () => {
    const current = p.current("h1");
    const entries = await historyLength();
    const url = `${hookUrl}/refused`;

    const bad = await send(signed({ response_url: url }, { secret: "not-the-secret" }));
    expect(bad).toMatchObject({ status: 401, body: { error: "bad signature" } });
    const old = await send(signed({ response_url: url }, { ts: Math.floor(Date.now() / 1000) - 600 }));
    expect(old.status).toBe(401);
    expect(old.body.error).toMatch(/^stale request: its timestamp is more than 5 minutes from this server's clock/);
    // a body altered after signing
    const altered = signed({ response_url: url, text: "staging" });
    const tampered = await send({ ...altered, body: altered.body.replace("staging", "prod") });
    expect(tampered).toMatchObject({ status: 401, body: { error: "bad signature" } });

    // a captured, accepted request played again: a viewer's /status, so capturing it ran nothing
    const captured = signed({ command: "/status", text: "staging", user_id: "UCAROL", user_name: "carol", response_url: `${hookUrl}/captured` });
    expect((await send(captured)).status).toBe(200);
    const replay = await send(captured);
    expect(replay.status).toBe(401);
    expect(replay.body.error).toMatch(/^replayed request/);

    const viewer = await send(signed({ user_id: "UCAROL", user_name: "carol", response_url: url }));
    expect(viewer.body).toEqual({ response_type: "ephemeral", text: "Your role is viewer: you may only use `/status`. `/deploy` needs deployer." });
    const stranger = await send(signed({ user_id: "UMAL", user_name: "mallory", response_url: url }));
    expect(stranger.body.response_type).toBe("ephemeral");
    expect(stranger.body.text).toMatch(/not allowed/);
    // A deployer's *name* proves nothing: mallory calling herself ada is still mallory.
    const namesake = await send(signed({ user_id: "UMAL", user_name: "ada", response_url: url }));
    expect(namesake.body.text).toMatch(/not allowed/);
    // The deployer's id from another workspace the app is installed in: refused by chat.slack.team_id.
    const elsewhere = await send(signed({ team_id: "T9999", response_url: url }));
    expect(elsewhere.body).toEqual({ response_type: "ephemeral", text: "This Slipway only answers its own Slack workspace." });
    const hostile = await send(signed({ text: "prod --force", response_url: url }));
    expect(hostile.body).toMatchObject({ response_type: "ephemeral", text: expect.stringMatching(/not a branch, tag or commit name/) });
    const unknown = await send(signed({ text: "production", response_url: url }));
    expect(unknown.body.text).toMatch(/^Unknown environment `production`\.\nEnvironments: `prod`, `staging`/);

    // give anything wrongly started time to show
    await new Promise((r) => setTimeout(r, 1_500));
    expect(p.current("h1")).toBe(current);
    expect(p.releases("s1")).toEqual([]);
    expect(await historyLength()).toBe(entries);
    expect(postsTo("/refused")).toEqual([]);
    expect(served.stderr()).toMatch(/chat: refused a request from 127\.0\.0\.1: bad signature/);
    expect(served.stderr()).toMatch(/chat: refused \/deploy prod from slack user carol \(UCAROL\): role viewer/);
  }, 60_000);

  it("an unset signing secret stops the server at start-up (exit 2, naming the variable)", async () => {
    const r = await cliSpawn(["serve", "--listen", "127.0.0.1:0"], { cwd: p.dir, env: { CHAT_TEST_SECRET: "" } }).done;
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/chat\.slack: the signing secret is read from \$CHAT_TEST_SECRET, which is not set/);
    expect(r.stderr).not.toMatch(/listening/);
  });

  it("never shows the signing secret in the server's output or any answer", async () => {
    expect(served.stderr()).toMatch(/POST \/chat\/slack 200/);
    expect(served.stderr()).not.toContain(SECRET);
    expect(JSON.stringify(posted)).not.toContain(SECRET);
  });
});
