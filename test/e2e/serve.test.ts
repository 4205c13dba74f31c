/**
 * `slipway serve` and `slipway tokens` through the built CLI: a real server process on loopback, real
 * HTTP(S) requests, the real state store (SQLite, and PostgreSQL for the tokens), local hosts that a
 * deploy, a second deploy and a rollback really changed, plus an SSH host that refuses and one that
 * hangs (reported unreachable, never failing the request).
 */
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, symlinkSync } from "node:fs";
import https from "node:https";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HAVE_POSTGRES, type PgServer, startPostgres } from "../dbservers.js";
import { type CliResult, cliSpawn, Project, ROOT } from "../helpers.js";
import { type Served, startServe } from "../serve-harness.js";

const servers: Served[] = [];
/** Every token any test created: none may ever show in a server's output. */
const tokens: string[] = [];

async function serve(p: Project, args: string[] = [], env: Record<string, string> = {}): Promise<Served> {
  const s = await startServe(p, args, env);
  servers.push(s);
  return s;
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are JSON whose shape each test asserts
type Json = any;

async function get(base: string, route: string, token?: string, init: RequestInit = {}): Promise<{ status: number; body: Json; headers: Headers }> {
  const res = await fetch(base + route, { ...init, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers as object) } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

const run = (p: Project, env: Record<string, string>, ...args: string[]): Promise<CliResult> => cliSpawn(args, { cwd: p.dir, env }).done;

async function createToken(p: Project, name: string, role: string, env: Record<string, string> = {}): Promise<string> {
  const r = await run(p, env, "tokens", "create", "--name", name, "--role", role);
  expect(r.code, r.stderr).toBe(0);
  const token = r.stdout.trim();
  expect(token).toMatch(/^slw_[A-Za-z0-9_-]{43}$/);
  expect(r.stderr).toMatch(new RegExp(`token "${name}" \\(${role}\\) created in .*shown only now`));
  expect(r.stderr).not.toContain(token);
  tokens.push(token);
  return token;
}

/** A TCP port that accepts and never says a word: an SSH host that hangs in the handshake. */
let silent: net.Server;
const held: net.Socket[] = [];
let p: Project;
let commits: string[];
let releases: string[];
let app: Served;
let viewer: string;
let deployer: string;
const user = os.userInfo().username;

beforeAll(async () => {
  silent = net.createServer((s) => void held.push(s));
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  const silentPort = (silent.address() as net.AddressInfo).port;
  p = new Project("slipway-serve-");
  p.writeConfig(`app: serveapp
source: { git: ./app, ref: main }
keep_releases: 5
environments:
  prod:
    hosts:
      - { name: h1, transport: local, deploy_to: ./hosts/h1 }
      - { name: h2, transport: local, deploy_to: ./hosts/h2 }
  far:
    hosts:
      - { name: refuses, address: 127.0.0.1, port: 1, deploy_to: /tmp/nowhere }
      - { name: hangs, address: 127.0.0.1, port: ${silentPort}, deploy_to: /tmp/nowhere }
`);
  commits = [p.repo.commit({ "index.html": "v1" }, "first")];
  expect((await run(p, { SLIPWAY_USER: "ada" }, "prod", "deploy")).code).toBe(0);
  const first = p.current("h1")!;
  commits.push(p.repo.commit({ "index.html": "v2" }, "second"));
  expect((await run(p, { SLIPWAY_USER: "ada" }, "prod", "deploy")).code).toBe(0);
  const second = p.current("h1")!;
  const rb = await run(p, { SLIPWAY_USER: "bob" }, "prod", "rollback");
  expect(rb.code, rb.stderr).toBe(0);
  expect(p.current("h1")).toBe(first);
  releases = [first, second];
  viewer = await createToken(p, "dash", "viewer");
  deployer = await createToken(p, "ci", "deployer");
  app = await serve(p, ["--read-timeout", "1s"]);
}, 120_000);

afterAll(async () => {
  for (const s of servers) await s.stop();
  for (const s of held) s.destroy();
  silent?.close();
  p?.cleanup();
});

describe("serve: auth", () => {
  it("prints the URL it listens on; health needs no token and says the version", async () => {
    expect(app.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(app.stderr()).toMatch(/slipway serve: listening on http:\/\/127\.0\.0\.1:\d+ \(app serveapp, the local state store\)/);
    const version = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).version;
    expect(await get(app.url, "/api/health")).toMatchObject({ status: 200, body: { ok: true, version } });
  });

  it("401 without a token, with a malformed one and with an unknown one, saying which", async () => {
    const none = await get(app.url, "/api/environments");
    expect(none).toMatchObject({ status: 401, body: { error: expect.stringMatching(/^missing token: send Authorization: Bearer <token>/) } });
    expect(none.headers.get("www-authenticate")).toBe('Bearer realm="slipway"');
    expect(await get(app.url, "/api/environments", "not-a-token")).toMatchObject({ status: 401, body: { error: "unknown or revoked token" } });
    const unknown = `slw_${"A".repeat(43)}`;
    expect(await get(app.url, "/api/environments", unknown)).toMatchObject({ status: 401, body: { error: "unknown or revoked token" } });
    // Basic auth is not a bearer token
    expect(await get(app.url, "/api/whoami", undefined, { headers: { authorization: `Basic ${viewer}` } })).toMatchObject({ status: 401 });
  });

  it("a token authenticates as itself; a viewer gets 403 on a deployer route, a deployer 200", async () => {
    expect(await get(app.url, "/api/whoami", viewer)).toMatchObject({
      status: 200,
      body: { name: "dash", role: "viewer", createdBy: expect.stringContaining("@"), revokedAt: null },
    });
    expect(await get(app.url, "/api/tokens", viewer)).toEqual(
      expect.objectContaining({ status: 403, body: { error: 'token "dash" has role viewer; this needs role deployer' } }),
    );
    const list = await get(app.url, "/api/tokens", deployer);
    expect(list.status).toBe(200);
    expect(list.body.tokens.map((t: { name: string; role: string }) => `${t.name}:${t.role}`)).toEqual(["dash:viewer", "ci:deployer"]);
    // neither the token nor its hash is ever returned
    expect(JSON.stringify(list.body)).not.toMatch(/slw_|[0-9a-f]{64}|hash/);
  });

  it("a revoked token is refused at once (401), and its name can be used again", async () => {
    const t = await createToken(p, "temp", "viewer");
    expect(await get(app.url, "/api/whoami", t)).toMatchObject({ status: 200, body: { name: "temp" } });
    const again = await run(p, {}, "tokens", "create", "--name", "temp", "--role", "viewer");
    expect(again).toMatchObject({ code: 2, stdout: "" });
    expect(again.stderr).toMatch(/a token named "temp" exists and is not revoked: revoke it first \(slipway tokens revoke temp\)/);
    expect(await run(p, {}, "tokens", "revoke", "temp")).toMatchObject({ code: 0, stdout: 'revoked token "temp"\n' });
    expect(await get(app.url, "/api/whoami", t)).toMatchObject({ status: 401, body: { error: "unknown or revoked token" } });
    expect(await run(p, {}, "tokens", "revoke", "temp")).toMatchObject({ code: 2, stderr: expect.stringMatching(/no unrevoked token named "temp"/) });
    const t2 = await createToken(p, "temp", "deployer");
    expect(await get(app.url, "/api/whoami", t2)).toMatchObject({ status: 200, body: { name: "temp", role: "deployer" } });
    const listed = await run(p, {}, "tokens", "list", "--json");
    const rows = JSON.parse(listed.stdout) as { name: string; role: string; revokedAt: string | null }[];
    expect(rows.filter((r) => r.name === "temp").map((r) => [r.role, r.revokedAt === null])).toEqual([
      ["viewer", false],
      ["deployer", true],
    ]);
    expect(listed.stdout).not.toMatch(/slw_/);
  });

  it("tokens: usage errors are exit 2 with the reason", async () => {
    expect(await run(p, {}, "tokens", "create", "--name", "x")).toMatchObject({ code: 2, stderr: 'error: --role: expected deployer or viewer, got ""\n' });
    expect(await run(p, {}, "tokens", "create", "--name", "a b", "--role", "viewer")).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/token name "a b": use up to 64/),
    });
    expect(await run(p, {}, "tokens", "drop")).toMatchObject({ code: 2, stderr: 'error: tokens: expected create, list or revoke, got "drop"\n' });
  });
});

describe("serve: environments", () => {
  it("each environment's hosts with their current release and commit, as on disk; unreachable hosts named, not fatal", async () => {
    const t0 = Date.now();
    const r = await get(app.url, "/api/environments", viewer);
    expect(r.status).toBe(200);
    // the hanging host is given up on after --read-timeout 1s, not ssh's own limits
    expect(Date.now() - t0).toBeLessThan(8_000);
    const [prod, far] = r.body.environments;
    expect(prod).toEqual({
      name: "prod",
      primary: "h1",
      current: {
        release: p.current("h1"),
        commit: commits[0],
        subject: "first",
        ref: "main",
        deployedBy: expect.stringMatching(/^ada@/),
        deployedAt: expect.any(String),
      },
      disagree: false,
      deploy: null,
      // The rollback left the second commit waiting on main.
      pending: { state: "ahead", ref: "main", count: 1, commits: [expect.objectContaining({ commit: commits[1], subject: "second" })], reason: null },
      openTasks: [],
      gates: [],
      announcements: [],
      approvals: null,
      hosts: ["h1", "h2"].map((name) => ({
        name,
        roles: [],
        reachable: true,
        release: releases[0],
        commit: commits[0],
        // newest first: the rolled-back release is marked bad
        releases: [
          expect.objectContaining({ id: releases[1], status: "bad", commit: commits[1] }),
          expect.objectContaining({ id: releases[0], status: "ok", commit: commits[0], ref: "main" }),
        ],
        note: null,
      })),
      lock: null,
      warnings: [],
    });
    expect(far).toMatchObject({ name: "far", disagree: true, current: { release: null }, lock: null });
    expect(far.hosts).toEqual([
      expect.objectContaining({ name: "refuses", reachable: false, release: null, note: expect.stringMatching(/^unreachable: .*ECONNREFUSED/) }),
      expect.objectContaining({ name: "hangs", reachable: false, release: null, note: "unreachable: no connection within 1 s" }),
    ]);
  });

  it("one environment; a host that disagrees; the lock holder from the primary; unknown environment 404", async () => {
    // h2 switched by hand to the other release: status calls that a disagreement.
    const link = path.join(p.hostDir("h2"), "current");
    rmSync(link);
    symlinkSync(`releases/${releases[1]}`, link);
    const lock = await run(p, { SLIPWAY_USER: "carol" }, "prod", "lock", "acquire", "-m", "db maintenance");
    expect(lock.code, lock.stderr).toBe(0);
    try {
      const r = await get(app.url, "/api/environments/prod", viewer);
      expect(r.status).toBe(200);
      expect(r.body.disagree).toBe(true);
      expect(r.body.hosts.map((h: { name: string; release: string; commit: string }) => [h.name, h.release, h.commit])).toEqual([
        ["h1", releases[0], commits[0]],
        ["h2", releases[1], commits[1]],
      ]);
      expect(r.body.lock).toMatchObject({
        who: expect.stringMatching(/^carol@/),
        reason: "db maintenance",
        manual: true,
        stale: false,
        holder: expect.stringContaining("carol@"),
      });
      expect(JSON.stringify(r.body.lock)).not.toMatch(/token/);
    } finally {
      expect((await run(p, {}, "prod", "lock", "release")).code).toBe(0);
      rmSync(link);
      symlinkSync(`releases/${releases[0]}`, link);
    }
    expect(await get(app.url, "/api/environments/staging", viewer)).toMatchObject({
      status: 404,
      body: { error: 'unknown environment "staging"; environments in slipway.yml: prod, far' },
    });
  });
});

describe("serve: history and run events", () => {
  it("the runs from the store, newest first; filters and limit work in the query", async () => {
    const all = await get(app.url, "/api/environments/prod/history", viewer);
    expect(all.status).toBe(200);
    const summary = (runs: { verb: string; by: string; outcome: string; releaseId: string }[]) =>
      runs.map((r) => [r.verb, r.by.split("@")[0], r.outcome, r.releaseId]);
    // only deploys and rollbacks (lock acquire/release may be recorded too)
    const mine = all.body.runs.filter((r: { verb: string }) => r.verb === "deploy" || r.verb === "rollback");
    expect(summary(mine)).toEqual([
      ["rollback", "bob", "ok", releases[0]],
      ["deploy", "ada", "ok", releases[1]],
      ["deploy", "ada", "ok", releases[0]],
    ]);
    const deploys = await get(app.url, "/api/environments/prod/history?verb=deploy&limit=1", viewer);
    expect(summary(deploys.body.runs)).toEqual([["deploy", "ada", "ok", releases[1]]]);
    const bobs = await get(
      app.url,
      `/api/environments/prod/history?by=${encodeURIComponent(all.body.runs.find((r: { verb: string }) => r.verb === "rollback").by)}`,
      viewer,
    );
    expect(summary(bobs.body.runs)).toEqual([["rollback", "bob", "ok", releases[0]]]);
    expect((await get(app.url, "/api/environments/prod/history?outcome=failed", viewer)).body).toEqual({ env: "prod", runs: [] });
    expect((await get(app.url, "/api/environments/far/history", viewer)).body).toEqual({ env: "far", runs: [] });
  });

  it("bad queries are 400 naming the parameter; an unknown environment 404", async () => {
    expect(await get(app.url, "/api/environments/prod/history?limit=ten", viewer)).toMatchObject({
      status: 400,
      body: { error: "query parameter limit: expected a whole number" },
    });
    expect(await get(app.url, "/api/environments/prod/history?limit=0", viewer)).toMatchObject({
      status: 400,
      body: { error: "query parameter limit: at least 1" },
    });
    expect(await get(app.url, "/api/environments/prod/history?limit=501", viewer)).toMatchObject({
      status: 400,
      body: { error: "query parameter limit: at most 500" },
    });
    expect(await get(app.url, "/api/environments/prod/history?sort=asc", viewer)).toMatchObject({
      status: 400,
      body: { error: "unknown query parameter sort" },
    });
    expect(await get(app.url, "/api/environments/prod/history?verb=a&verb=b", viewer)).toMatchObject({
      status: 400,
      body: { error: expect.stringMatching(/^query parameter verb: /) },
    });
    expect(await get(app.url, "/api/environments/nope/history", viewer)).toMatchObject({
      status: 404,
      body: { error: expect.stringMatching(/^unknown environment "nope"/) },
    });
  });

  it("a run's events as recorded; unknown run 404, bad id 400", async () => {
    const hist = await get(app.url, "/api/environments/prod/history?verb=rollback", viewer);
    const id = hist.body.runs[0].id as number;
    const r = await get(app.url, `/api/runs/${id}/events`, viewer);
    expect(r.status).toBe(200);
    expect(r.body.run).toMatchObject({ id, verb: "rollback", env: "prod", releaseId: releases[0], outcome: "ok" });
    const types = r.body.events.map((e: { type: string }) => e.type);
    expect(types).toContain("host:phase");
    expect(types.at(-1)).toBe("run:end");
    expect(r.body.events.filter((e: { host?: string }) => e.host === "h1").length).toBeGreaterThan(0);
    expect(r.body.events.at(-1)).toMatchObject({ type: "run:end", ok: true, ts: expect.any(String) });
    expect(r.body.next).toBeNull();
    // In pages: `next` is the `after` of the following page, and the pages add up to the whole.
    const p1 = await get(app.url, `/api/runs/${id}/events?limit=3`, viewer);
    expect(p1.body.events).toEqual(r.body.events.slice(0, 3));
    const p2 = await get(app.url, `/api/runs/${id}/events?after=${p1.body.next}&limit=10000`, viewer);
    expect([...p1.body.events, ...p2.body.events]).toEqual(r.body.events);
    expect(await get(app.url, `/api/runs/${id}/events?limit=0`, viewer)).toMatchObject({
      status: 400,
      body: { error: expect.stringMatching(/^query parameter limit: /) },
    });
    expect(await get(app.url, "/api/runs/99999/events", viewer)).toMatchObject({ status: 404, body: { error: "no run 99999 in the local state store" } });
    expect(await get(app.url, "/api/runs/abc/events", viewer)).toMatchObject({
      status: 400,
      body: { error: 'run id: expected a positive whole number, got "abc"' },
    });
    expect(await get(app.url, "/api/nothing", viewer)).toMatchObject({ status: 404, body: { error: "no route GET /api/nothing" } });
    // without a token, an unknown path or another spelling of a route says nothing but 401
    for (const route of ["/api/nothing", "/elsewhere", "//api/environments", "/API/environments"]) expect((await get(app.url, route)).status).toBe(401);
  });
});

describe("serve: rate limit, listen address, TLS, shutdown", () => {
  it("429 after 10 failed tokens a minute from one address, even for a good token then", async () => {
    const s = await serve(p);
    for (let i = 0; i < 10; i++) expect((await get(s.url, "/api/whoami", `slw_${String(i).repeat(43)}`)).status).toBe(401);
    const limited = await get(s.url, "/api/whoami", viewer);
    expect(limited).toMatchObject({
      status: 429,
      body: { error: expect.stringMatching(/^too many failed authentications from 127\.0\.0\.1: try again in \d+ s$/) },
    });
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(50);
    // requests without a token are not guesses and do not count; health stays open
    expect(await get(s.url, "/api/health")).toMatchObject({ status: 200, body: { ok: true } });
    // the limit is per server process: the other server still serves this token
    expect(await get(app.url, "/api/whoami", viewer)).toMatchObject({ status: 200 });
  });

  it("refuses a non-loopback address without TLS (exit 2, why and what to do); accepts it with --insecure-listen", async () => {
    const r = await run(p, {}, "serve", "--listen", "0.0.0.0:0");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^error: refusing to listen on 0\.0\.0\.0:0 without TLS: API tokens would cross the network in clear text\. Give --tls-cert and --tls-key, or --insecure-listen/,
    );
    expect(await run(p, {}, "serve", "--listen", "nonsense")).toMatchObject({ code: 2, stderr: expect.stringMatching(/--listen: expected host:port/) });
    expect(await run(p, {}, "serve", "--tls-cert", "x.pem")).toMatchObject({ code: 2, stderr: "error: --tls-cert and --tls-key go together\n" });
    // environments are resolved at start-up: a missing secret stops the server, not each request
    const q = new Project("slipway-serve-secret-");
    try {
      q.writeConfig(
        "app: s\nsource: { dir: . }\nsecret_env: [SERVE_TEST_SECRET]\nenvironments:\n  prod:\n    hosts:\n      - { name: h1, transport: local, deploy_to: ./h1 }\n",
      );
      const missing = await run(q, {}, "serve");
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/SERVE_TEST_SECRET/);
      expect(missing.stderr).not.toMatch(/listening/);
    } finally {
      q.cleanup();
    }
    const child = cliSpawn(["serve", "--listen", "0.0.0.0:0", "--insecure-listen"], { cwd: p.dir });
    let err = "";
    child.stderr!.on("data", (c) => (err += String(c)));
    await expect.poll(() => err, { timeout: 20_000 }).toMatch(/listening on http:\/\/0\.0\.0\.0:\d+/);
    const port = /0\.0\.0\.0:(\d+)/.exec(err)![1];
    expect(await get(`http://127.0.0.1:${port}`, "/api/health")).toMatchObject({ status: 200, body: { ok: true } });
    child.kill("SIGTERM");
    expect((await child.done).code).toBe(0);
  });

  it("serves HTTPS with a certificate and key (a self-signed one here), also off loopback", async () => {
    const dir = path.join(p.dir, "tls");
    execFileSync("mkdir", ["-p", dir]);
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=localhost"].concat([
        "-addext",
        "subjectAltName=DNS:localhost",
        "-keyout",
        path.join(dir, "key.pem"),
        "-out",
        path.join(dir, "cert.pem"),
      ]),
      { stdio: "ignore" },
    );
    const s = await serve(p, ["--tls-cert", path.join(dir, "cert.pem"), "--tls-key", path.join(dir, "key.pem")]);
    expect(s.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = readFileSync(path.join(dir, "cert.pem"));
    const port = Number(new URL(s.url).port);
    const body = await new Promise<{ status: number; text: string; authorized: boolean }>((resolve, reject) => {
      // verified against the self-signed certificate itself: a real TLS handshake, no verification turned off
      const req = https.get({ host: "127.0.0.1", port, path: "/api/health", servername: "localhost", ca }, (res) => {
        const authorized = (res.socket as import("node:tls").TLSSocket).authorized;
        let text = "";
        res.setEncoding("utf8").on("data", (c) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode!, text, authorized }));
      });
      req.on("error", reject);
    });
    expect(body.status).toBe(200);
    expect(body.authorized).toBe(true);
    expect(JSON.parse(body.text)).toMatchObject({ ok: true });
    // plain HTTP to the TLS port gets no API answer
    await expect(fetch(`http://127.0.0.1:${port}/api/health`).then((r) => r.status)).rejects.toThrow();
    // with TLS, a non-loopback address is allowed
    const wide = await serve(p, ["--listen", "0.0.0.0:0", "--tls-cert", path.join(dir, "cert.pem"), "--tls-key", path.join(dir, "key.pem")]);
    expect(wide.url).toMatch(/^https:\/\/0\.0\.0\.0:\d+$/);
  });

  it("stops cleanly on SIGINT and on SIGTERM (exit 0), and no token ever reached its output", async () => {
    const s = await serve(p);
    // a token in a path is masked in the access line
    expect((await get(s.url, `/api/runs/${viewer}/events`, viewer)).status).toBe(400);
    const child = s;
    const r = await child.stop();
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/SIGTERM received: stopping\n$/);
    expect(r.stderr).toContain("GET /api/runs/slw_[REDACTED]/events 400");
    const other = cliSpawn(["serve", "--listen", "127.0.0.1:0"], { cwd: p.dir });
    let err = "";
    other.stderr!.on("data", (c) => (err += String(c)));
    await expect.poll(() => err, { timeout: 20_000 }).toMatch(/listening on/);
    other.kill("SIGINT");
    expect(await other.done).toMatchObject({ code: 0, stderr: expect.stringMatching(/SIGINT received: stopping\n$/) });
    for (const sv of servers) {
      const out = sv.stderr();
      expect(out).toMatch(/listening on/);
      for (const t of tokens) {
        expect(out).not.toContain(t);
        expect(out).not.toContain(t.slice(4));
      }
    }
    expect(app.stderr()).toMatch(/GET \/api\/whoami 200 \d+ms 127\.0\.0\.1 token=dash/);
  });
});

/** On CI a missing PostgreSQL fails (startPostgres throws), never skips. */
const SKIP_PG = !HAVE_POSTGRES && process.env.CI !== "true";
if (SKIP_PG) console.warn("SKIPPING serve's postgres tokens test: needs postgresql (apt-get install postgresql); CI=true makes this a failure");

describe.skipIf(SKIP_PG)("tokens in the team's PostgreSQL store", () => {
  let pg: PgServer;
  beforeAll(async () => {
    pg = await startPostgres();
  }, 60_000);
  afterAll(() => pg?.stop());

  it("create, list, authenticate, revoke; only the hash is in the database; a second app's tokens are its own", async () => {
    pg.sql("CREATE DATABASE tok OWNER app");
    const url = `postgres://app:${encodeURIComponent(pg.password)}@127.0.0.1:${pg.port}/tok`;
    const env = { SLIPWAY_STATE_URL: url };
    const q = new Project("slipway-serve-pg-");
    try {
      const cfg = (name: string) =>
        `app: ${name}\nsource: { git: ./app, ref: main }\nstate: postgres\nenvironments:\n  prod:\n    hosts:\n      - { name: h1, transport: local, deploy_to: ./hosts/h1 }\n`;
      q.writeConfig(cfg("pgapp"));
      const t = await createToken(q, "ci", "viewer", env);
      const dup = await run(q, env, "tokens", "create", "--name", "ci", "--role", "viewer");
      expect(dup).toMatchObject({ code: 2, stderr: expect.stringMatching(/a token named "ci" exists and is not revoked/) });
      const stored = pg.sql("SELECT app, name, role, token_hash, created_by, revoked_at IS NULL FROM tokens", "tok").trim();
      expect(stored).toMatch(new RegExp(`^pgapp\tci\tviewer\t[0-9a-f]{64}\t${user}@\\S+\tt$`));
      expect(stored).not.toContain(t.slice(4));
      expect(pg.sql("SELECT max(version) FROM slipway_schema_migrations", "tok").trim()).toBe("2");

      // another app sharing the database: its own names, and this token does not open its server
      const other = new Project("slipway-serve-pg2-");
      try {
        other.writeConfig(cfg("otherapp"));
        expect(JSON.parse((await run(other, env, "tokens", "list", "--json")).stdout)).toEqual([]);
        await createToken(other, "ci", "deployer", env);
        const so = await serve(other, [], env);
        expect(await get(so.url, "/api/whoami", t)).toMatchObject({ status: 401 });
        await so.stop();
      } finally {
        other.cleanup();
      }

      const s = await serve(q, [], env);
      expect(s.stderr()).toMatch(/app pgapp, the team's state store \(PostgreSQL\)/);
      expect(await get(s.url, "/api/whoami", t)).toMatchObject({ status: 200, body: { name: "ci", role: "viewer" } });
      const listed = JSON.parse((await run(q, env, "tokens", "list", "--json")).stdout);
      expect(listed).toEqual([{ name: "ci", role: "viewer", createdAt: expect.any(String), createdBy: expect.stringContaining("@"), revokedAt: null }]);
      expect(await run(q, env, "tokens", "revoke", "ci")).toMatchObject({ code: 0 });
      expect(await get(s.url, "/api/whoami", t)).toMatchObject({ status: 401, body: { error: "unknown or revoked token" } });
      expect((await get(s.url, "/api/environments/prod/history", t)).status).toBe(401);
      const r = await s.stop();
      expect(r.code).toBe(0);
      for (const secret of [pg.password, encodeURIComponent(pg.password), t]) expect(r.stderr).not.toContain(secret);
    } finally {
      q.cleanup();
    }
  }, 90_000);
});
