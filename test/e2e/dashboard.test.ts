/**
 * The dashboard over HTTP, end to end: a real `slipway serve`, real local hosts, the real state
 * store. Logging in, the session cookie, CSRF and origin refusals, roles, every action through its
 * plan and confirmation (deploy, rollback, lock, unlock, approve, tick a task, cancel), the live log
 * of a run started from another terminal, and hostile field values. Each refusal is checked for
 * "no state change" on the hosts and in history.
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliSpawn, Project } from "../helpers.js";
import { type Browser, createToken, followStream, login, postForm, type Served, startServe } from "../serve-harness.js";

let p: Project;
let app: Served;
let deployer: string;
let viewer: string;
let dep: Browser;
let view: Browser;
const cli = (env: Record<string, string>, ...args: string[]) => cliSpawn(args, { cwd: p.dir, env }).done;
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

async function api(route: string, token: string, body?: unknown) {
  const res = await fetch(app.url + route, {
    method: body === undefined ? "GET" : "POST",
    headers: { ...bearer(token), ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function lockStatus(): Promise<string> {
  return (await cli({}, "prod", "lock", "status")).stdout;
}

async function runCount(): Promise<number> {
  return JSON.parse((await cli({}, "prod", "history", "--local", "--json")).stdout).length;
}

beforeAll(async () => {
  p = new Project("slipway-dash-");
  // A commit with a file named SLOW builds for 20 s: long enough to watch and to cancel.
  p.writeConfig(`app: dashapp
source: { git: ./app, ref: main }
keep_releases: 5
build:
  - test ! -f SLOW || sleep 20
environments:
  prod:
    hosts:
      - { name: h1, transport: local, deploy_to: ./hosts/h1 }
      - { name: h2, transport: local, deploy_to: ./hosts/h2 }
  staging:
    gates:
      approvals: { required: 2, from: [carol, dave] }
    hosts:
      - { name: s1, transport: local, deploy_to: ./hosts/s1 }
`);
  p.repo.commit({ "index.html": "v1" }, "first <b>commit</b>");
  expect((await cli({ SLIPWAY_USER: "ada" }, "prod", "deploy")).code).toBe(0);
  deployer = await createToken(p, "carol", "deployer");
  viewer = await createToken(p, "vic", "viewer");
  app = await startServe(p);
  dep = await login(app.url, deployer);
  view = await login(app.url, viewer);
}, 120_000);

afterAll(async () => {
  const out = await app?.stop();
  // No token ever reaches the server's output.
  for (const t of [deployer, viewer]) expect(out?.stderr ?? "").not.toContain(t);
  p?.cleanup();
});

describe("dashboard: sessions", () => {
  it("a page without a session goes to /login; a wrong token gets 401 and no cookie; a right one an HttpOnly SameSite=Strict cookie", async () => {
    const r = await fetch(`${app.url}/history?env=prod`, { redirect: "manual" });
    expect(r.status).toBe(303);
    expect(r.headers.get("location")).toBe("/login?next=%2Fhistory%3Fenv%3Dprod");
    const foreign = await postForm(app.url, "/login", null, { token: deployer }, { origin: "https://evil.example" });
    expect(foreign.status).toBe(403);
    expect(foreign.text).toContain("Cross-origin login from https://evil.example refused.");
    const bad = await postForm(app.url, "/login", null, { token: `slw_${"B".repeat(43)}` });
    expect(bad.status).toBe(401);
    expect(bad.text).toContain("Unknown or revoked token.");
    const ok = await fetch(`${app.url}/login`, {
      method: "POST",
      body: new URLSearchParams({ token: deployer, next: "//evil.example/x" }),
      redirect: "manual",
    });
    expect(ok.status).toBe(303);
    // Only a path on this server is followed after login.
    expect(ok.headers.get("location")).toBe("/");
    const cookie = ok.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^slipway_session=[A-Za-z0-9_-]{43}; Max-Age=43200; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(cookie).not.toContain(deployer);
    // Pages, the login page included, may not be framed and run only this server's own script.
    const login = await fetch(`${app.url}/login`);
    expect(login.headers.get("x-frame-options")).toBe("DENY");
    expect(login.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(login.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(login.headers.get("cache-control")).toBe("no-store");
  });

  it("the overview shows what runs, escaped: a commit subject with markup is text", async () => {
    const html = await (await fetch(`${app.url}/`, { headers: { cookie: dep.cookie } })).text();
    expect(html).toContain(`data-field="release">${p.current("h1")}<`);
    expect(html).toContain("first &lt;b&gt;commit&lt;/b&gt;");
    expect(html).not.toContain("<b>commit</b>");
    expect(html).toMatch(/ada@/);
    expect(html).toContain('action="/env/prod/actions/deploy"');
  });

  it("a viewer sees the overview without action forms, and every action it tries is 403 with nothing done", async () => {
    const html = await (await fetch(`${app.url}/`, { headers: { cookie: view.cookie } })).text();
    expect(html).toContain("vic (viewer)");
    expect(html).not.toContain('action="/env/prod/actions/');
    const before = [p.current("h1"), await runCount()];
    const page = await postForm(app.url, "/env/prod/actions/lock", view, { _csrf: view.csrf, message: "mine", confirm: "yes" });
    expect(page.status).toBe(403);
    // A page's refusal is a page that says why.
    expect(page.text).toContain("token &quot;vic&quot; has role viewer; this needs role deployer");
    expect((await api("/api/environments/prod/actions/deploy", viewer, { confirm: true })).status).toBe(403);
    expect(await lockStatus()).toMatch(/is not locked/);
    expect([p.current("h1"), await runCount()]).toEqual(before);
  });

  it("CSRF: a cookie-authenticated change without the token, with a wrong one, or from another origin is 403 and changes nothing", async () => {
    const runs = await runCount();
    for (const [fields, headers] of [
      [{ message: "x", confirm: "yes" }, {}],
      [{ _csrf: "A".repeat(43), message: "x", confirm: "yes" }, {}],
      [{ _csrf: dep.csrf, message: "x", confirm: "yes" }, { origin: "https://evil.example" }],
    ] as [Record<string, string>, Record<string, string>][]) {
      const r = await postForm(app.url, "/env/prod/actions/lock", dep, fields, headers);
      expect(r.status, JSON.stringify(fields)).toBe(403);
      expect(r.text).toMatch(/CSRF token|cross-origin request from https:\/\/evil\.example refused/);
    }
    // The JSON API with a cookie needs the header too.
    const j = await fetch(`${app.url}/api/environments/prod/actions/lock`, {
      method: "POST",
      headers: { cookie: dep.cookie, "content-type": "application/json" },
      body: JSON.stringify({ message: "x", confirm: true }),
    });
    expect(j.status).toBe(403);
    expect(await lockStatus()).toMatch(/is not locked/);
    expect(await runCount()).toBe(runs);
  });

  it("logging out ends the session; logging out needs the CSRF token too", async () => {
    const b = await login(app.url, deployer);
    expect((await postForm(app.url, "/logout", b, {})).status).toBe(403);
    const out = await postForm(app.url, "/logout", b, { _csrf: b.csrf });
    expect(out).toMatchObject({ status: 303, location: "/login" });
    const after = await fetch(`${app.url}/`, { headers: { cookie: b.cookie }, redirect: "manual" });
    expect(after.status).toBe(303);
  });

  it("a revoked token ends its sessions at once", async () => {
    const t = await createToken(p, "temp", "viewer");
    const b = await login(app.url, t);
    expect((await fetch(`${app.url}/`, { headers: { cookie: b.cookie }, redirect: "manual" })).status).toBe(200);
    expect((await cli({}, "tokens", "revoke", "temp")).code).toBe(0);
    expect((await fetch(`${app.url}/`, { headers: { cookie: b.cookie }, redirect: "manual" })).status).toBe(303);
  });
});

describe("dashboard: actions", () => {
  it("deploy from the page: the plan first (nothing done), then Confirm runs it as the token's user and the live log reaches done", async () => {
    p.repo.commit({ "index.html": "v2" }, "second");
    const before = p.current("h1");
    const planned = await postForm(app.url, "/env/prod/actions/deploy", dep, { _csrf: dep.csrf, ref: "main", message: "from the page" });
    expect(planned.status).toBe(200);
    expect(planned.text).toContain("This will deploy main to prod.");
    expect(planned.text).toMatch(/plan: deploy prod release \d{8}-\d{6}-[0-9a-f]{7}/);
    expect(planned.text).toContain('name="confirm" value="yes"');
    expect(p.current("h1")).toBe(before);
    const done = await postForm(app.url, "/env/prod/actions/deploy", dep, { _csrf: dep.csrf, ref: "main", message: "from the page", confirm: "yes" });
    expect(done.status).toBe(303);
    const runId = Number(/^\/runs\/(\d+)$/.exec(done.location!)![1]);
    const s = await followStream(app.url, runId, { cookie: dep.cookie });
    expect(s.outcome).toBe("ok");
    expect(s.lines.join("\n")).toMatch(/done in \d/);
    expect(p.current("h1")).not.toBe(before);
    expect(p.current("h2")).toBe(p.current("h1"));
    const hist = await api(`/api/environments/prod/history?limit=1`, deployer);
    expect(hist.body.runs[0]).toMatchObject({ id: runId, verb: "deploy", outcome: "ok", by: expect.stringMatching(/^carol@/) });
    const page = await (await fetch(`${app.url}/runs/${runId}`, { headers: { cookie: dep.cookie } })).text();
    expect(page).toContain("done in");
  }, 60_000);

  it("the API: without confirm the plan, with it a run (202); rollback to a chosen release", async () => {
    const releases = p.releases("h1");
    const target = releases[0]!;
    const plan = await api("/api/environments/prod/actions/rollback", deployer, { release: target });
    expect(plan.status).toBe(200);
    expect(plan.body).toMatchObject({ action: "rollback", summary: `roll prod back to ${target}`, problem: null });
    expect(plan.body.plan).toContain(target);
    expect(p.current("h1")).not.toBe(target);
    const go = await api("/api/environments/prod/actions/rollback", deployer, { release: target, message: "api", confirm: true });
    expect(go.status).toBe(202);
    expect((await followStream(app.url, go.body.run, bearer(deployer))).outcome).toBe("ok");
    expect(p.current("h1")).toBe(target);
    expect(p.current("h2")).toBe(target);
  }, 60_000);

  it("lock and unlock with a reason, recorded with the user; a lock taken from the CLI shows on the overview", async () => {
    const l = await api("/api/environments/prod/actions/lock", deployer, { message: "db maintenance", confirm: true });
    expect(l.status, JSON.stringify(l.body)).toBe(200);
    expect(await lockStatus()).toMatch(/locked: .*carol.*db maintenance/s);
    const u = await api("/api/environments/prod/actions/unlock", deployer, { confirm: true });
    expect(u.status).toBe(200);
    expect(await lockStatus()).toMatch(/is not locked/);
    expect((await cli({ SLIPWAY_USER: "dave" }, "prod", "lock", "acquire", "-m", "from the terminal")).code).toBe(0);
    const html = await (await fetch(`${app.url}/`, { headers: { cookie: dep.cookie } })).text();
    expect(html).toMatch(/locked<\/span> by dave@[^<]* \(lock acquire\): <q>from the terminal<\/q> since/);
    expect(html).toContain('action="/env/prod/actions/unlock"');
    expect((await cli({}, "prod", "lock", "release")).code).toBe(0);
  });

  it("approve a commit and tick a task, each recorded with the user", async () => {
    const a = await api("/api/environments/prod/actions/approve", deployer, { ref: "main", message: "looks good", confirm: true });
    expect(a.status, JSON.stringify(a.body)).toBe(200);
    expect((await cli({}, "prod", "approvals")).stdout).toMatch(/carol/);
    // Where the approvals gate is set, the overview counts the approvals of the commit a deploy would ship.
    const sa = await api("/api/environments/staging/actions/approve", deployer, { ref: "main", message: "QA passed", confirm: true });
    expect(sa.status, JSON.stringify(sa.body)).toBe(200);
    const head = p.repo.git("rev-parse", "main");
    const staging = await api("/api/environments/staging", deployer);
    expect(staging.body.approvals).toEqual({ commit: head, required: 2, approvals: [expect.objectContaining({ who: "carol", why: "QA passed" })] });
    expect(await (await fetch(`${app.url}/`, { headers: { cookie: dep.cookie } })).text()).toContain(
      `Approvals of <span class="mono">${head.slice(0, 12)}</span> (1 of 2 needed): carol <q>QA passed</q>`,
    );
    expect((await cli({}, "prod", "tasks", "add", "Rotate the CDN key")).code).toBe(0);
    const id = JSON.parse((await cli({}, "prod", "tasks", "--json")).stdout)[0].id as string;
    const ann = await cli(
      {},
      "prod",
      "announce",
      "--start",
      "2030-01-01 22:00",
      "--duration",
      "45m",
      "--nature",
      "Database <upgrade>",
      "--affected",
      "everyone",
      "--experience",
      "a maintenance page",
    );
    expect(ann.code, ann.stderr).toBe(0);
    const overview = await (await fetch(`${app.url}/`, { headers: { cookie: dep.cookie } })).text();
    expect(overview).toContain("Rotate the CDN key");
    expect(overview).toMatch(/Announced downtime.*2030-01-01 22:00:00 UTC.*Database &lt;upgrade&gt;; affected: everyone; users see: a maintenance page/s);
    const t = await postForm(app.url, "/env/prod/actions/task", dep, { _csrf: dep.csrf, id, note: "rotated", confirm: "yes" });
    expect(t.status, t.text).toBe(200);
    const tasks = JSON.parse((await cli({}, "prod", "tasks", "--json")).stdout);
    expect(tasks[0]).toMatchObject({ id, done: { note: "rotated", by: expect.stringMatching(/^carol@/) } });
  });

  it("hostile values never reach the CLI as options or shell: 400 and nothing runs", async () => {
    const runs = await runCount();
    for (const body of [
      { ref: "--upload-pack=touch /tmp/pwned" },
      { ref: "$(touch /tmp/pwned)" },
      { ref: "main;rm -rf /" },
      { ref: "../../etc" },
      { ref: "main", message: "line one\nline two" },
    ]) {
      const r = await api("/api/environments/prod/actions/deploy", deployer, { ...body, confirm: true });
      expect(r.status, JSON.stringify(body)).toBe(400);
    }
    expect((await api("/api/environments/prod/actions/rollback", deployer, { release: "-f", confirm: true })).status).toBe(400);
    expect((await api("/api/environments/prod/actions/task", deployer, { id: "--all", note: "x", confirm: true })).status).toBe(400);
    expect((await api("/api/environments/prod/actions/nuke", deployer, { confirm: true })).status).toBe(404);
    expect((await api("/api/environments/nope/actions/deploy", deployer, { confirm: true })).status).toBe(404);
    expect(existsSync("/tmp/pwned")).toBe(false);
    expect(await runCount()).toBe(runs);
  });

  it("cancel a running deploy: it stops as Ctrl-C would, current stays, the lock is released", async () => {
    p.repo.commit({ SLOW: "1", "index.html": "v3" }, "slow build");
    const before = p.current("h1");
    const go = await api("/api/environments/prod/actions/deploy", deployer, { confirm: true });
    expect(go.status).toBe(202);
    // Wait until the build is under way, then cancel from the run page.
    const deadline = Date.now() + 20_000;
    const building = async () =>
      ((await api(`/api/runs/${go.body.run}/events`, deployer)).body.events as { type: string; phase?: string; status?: string }[]).some(
        (e) => e.type === "host:phase" && e.phase === "build" && e.status === "running",
      );
    while (!(await building())) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 100));
    }
    const page = await (await fetch(`${app.url}/runs/${go.body.run}`, { headers: { cookie: dep.cookie } })).text();
    expect(page).toContain('id="cancel-form"');
    const c = await postForm(app.url, `/runs/${go.body.run}/cancel`, dep, { _csrf: dep.csrf });
    expect(c.status).toBe(303);
    const t0 = Date.now();
    const s = await followStream(app.url, go.body.run, bearer(deployer), 30_000);
    expect(s.outcome).toBe("failed");
    // The 20 s build was stopped, not waited for.
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(s.lines.join("\n")).toMatch(/SIGINT received: stopping/);
    expect(p.current("h1")).toBe(before);
    expect(await lockStatus()).toMatch(/is not locked/);
    // Nothing left to cancel.
    expect((await api(`/api/runs/${go.body.run}/cancel`, deployer, {})).status).toBe(409);
  }, 60_000);

  it("the live log of a deploy started from another terminal streams while it runs", async () => {
    const term = cliSpawn(["prod", "deploy"], { cwd: p.dir, env: { SLIPWAY_USER: "erin" } });
    let runId = 0;
    const deadline = Date.now() + 20_000;
    while (!runId && Date.now() < deadline) {
      const h = await api("/api/environments/prod/history?limit=1", viewer);
      if (h.body.runs[0]?.by.startsWith("erin@") && !h.body.runs[0].finishedAt) runId = h.body.runs[0].id;
      else await new Promise((r) => setTimeout(r, 100));
    }
    expect(runId).toBeGreaterThan(0);
    const s = await followStream(app.url, runId, bearer(viewer), 60_000);
    const r = await term.done;
    expect(r.code, r.stderr).toBe(0);
    expect(s.outcome).toBe("ok");
    // The first lines arrived while the 20 s build was still running, not at the end.
    expect(s.endAt - s.firstAt).toBeGreaterThan(10_000);
    expect(s.lines.join("\n")).toMatch(/build done/);
  }, 90_000);

  it("failed logins are rate limited per address (429)", async () => {
    let last = 0;
    for (let i = 0; i < 11; i++) last = (await postForm(app.url, "/login", null, { token: `slw_${"C".repeat(43)}` })).status;
    expect(last).toBe(429);
    // Even the right token waits out the window...
    expect((await postForm(app.url, "/login", null, { token: deployer })).status).toBe(429);
    // ...but people already logged in from that address (all of them, behind one proxy) are not locked out.
    expect((await fetch(`${app.url}/`, { headers: { cookie: dep.cookie }, redirect: "manual" })).status).toBe(200);
  });
});
