import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliSpawn, Project, waitFor } from "../helpers.js";
import { type Served, startServe } from "../serve-harness.js";

const servers: Served[] = [];

const run = (p: Project, args: string[], env: Record<string, string> = {}) => cliSpawn(args, { cwd: p.dir, env: { NO_COLOR: "1", ...env } }).done;

/** The clock of a server (and the deploys it spawns) starting at `start` now and running in real time. */
const clockAt = (start: string) => ({ SLIPWAY_NOW: start, SLIPWAY_NOW_SINCE: String(Date.now()) });

async function serve(p: Project, env: Record<string, string>): Promise<Served> {
  const s = await startServe(p, [], env);
  servers.push(s);
  return s;
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are JSON whose shape each test asserts
type Json = any;
async function get(base: string, route: string, token: string): Promise<{ status: number; body: Json }> {
  const res = await fetch(base + route, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.json() };
}

async function viewerToken(p: Project): Promise<string> {
  const r = await run(p, ["tokens", "create", "--name", "dash", "--role", "viewer"]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim();
}

/** Tuesdays 10:00 in Berlin: 09:00Z before DST (2026-03-24), 08:00Z after (2026-03-31). */
const config = (app: string) => `app: ${app}
source: { git: ./app, ref: main }
environments:
  prod:
    hosts:
      - { name: h1, transport: local, deploy_to: ./hosts/h1 }
schedule:
  - { name: weekly, env: prod, cron: "0 10 * * 2", timezone: Europe/Berlin }
`;

const SLOT = "2026-03-24T09:00:00.000Z";
const NEXT = "2026-03-31T08:00:00.000Z";

afterAll(async () => {
  for (const s of servers) await s.stop();
});

describe("scheduled deploys", () => {
  let p: Project;
  let token: string;
  let first: string;
  beforeAll(async () => {
    p = new Project("slipway-sched-");
    p.writeConfig(config("schedapp"));
    p.repo.commit({ "index.html": "v1" }, "first");
    const r = await run(p, ["prod", "deploy"], { SLIPWAY_USER: "ada" });
    expect(r.code, r.stderr).toBe(0);
    first = p.current("h1")!;
    p.repo.commit({ "index.html": "v2" }, "second");
    token = await viewerToken(p);
  }, 60_000);
  afterAll(() => p?.cleanup());

  it("a slot a few seconds after the injected start deploys to the host, as schedule:<name>, and the API shows the result and the next slot", async () => {
    const s = await serve(p, clockAt("2026-03-24T08:59:55Z"));
    await waitFor(() => s.stderr().includes(`schedule weekly: prod "0 10 * * 2" Europe/Berlin; next ${SLOT}`), 5_000);
    expect((await fetch(`${s.url}/api/schedules`)).status).toBe(401);
    const before = await get(s.url, "/api/schedules", token);
    expect(before.body.schedules[0]).toMatchObject({ name: "weekly", next: SLOT, last: null, missed: [] });
    await waitFor(() => new RegExp(`schedule weekly: slot ${SLOT}: \\w+`).test(s.stderr()), 60_000);
    expect(s.stderr()).toContain(`schedule weekly: slot ${SLOT}: ok (run `);
    expect(p.current("h1")).not.toBe(first);
    expect(p.read("h1", "current/index.html")).toBe("v2");
    const hist = await get(s.url, "/api/environments/prod/history?verb=deploy", token);
    expect(hist.body.runs).toHaveLength(2);
    expect(hist.body.runs[0]).toMatchObject({ by: expect.stringMatching(/^schedule:weekly/), outcome: "ok", releaseId: p.current("h1") });
    const after = await get(s.url, "/api/schedules", token);
    expect(after.status).toBe(200);
    expect(after.body.schedules[0]).toMatchObject({
      name: "weekly",
      env: "prod",
      cron: "0 10 * * 2",
      timezone: "Europe/Berlin",
      ref: null,
      next: NEXT,
      lastSlot: SLOT,
      last: { slot: SLOT, outcome: "ok", runId: hist.body.runs[0].id, detail: null },
      missed: [],
    });
    expect((await s.stop()).code).toBe(0);
  }, 90_000);

  it("a slot that passes while serve is down is reported missed on the next start, and not run", async () => {
    const deployed = p.current("h1");
    const releases = p.releases("h1").length;
    // Down over the next Tuesday; up on Wednesday.
    const s = await serve(p, clockAt("2026-04-01T07:00:00Z"));
    await waitFor(() => s.stderr().includes("missed slot"), 20_000);
    expect(s.stderr()).toContain(`schedule weekly: missed slot ${NEXT} (no server was running); not run late`);
    const v = await get(s.url, "/api/schedules", token);
    expect(v.body.schedules[0]).toMatchObject({ lastSlot: NEXT, missed: [NEXT], last: { slot: SLOT, outcome: "ok" }, next: "2026-04-07T08:00:00.000Z" });
    await new Promise((r) => setTimeout(r, 1500));
    expect(p.current("h1")).toBe(deployed);
    expect(p.releases("h1")).toHaveLength(releases);
    expect(s.stderr()).not.toMatch(/deploying slot/);
    await s.stop();
  }, 60_000);
});

describe("two servers on one config", () => {
  let p: Project;
  beforeAll(async () => {
    p = new Project("slipway-sched2-");
    p.writeConfig(config("twinapp"));
    p.repo.commit({ "index.html": "v1" }, "first");
  }, 30_000);
  afterAll(() => p?.cleanup());

  it("deploy the slot exactly once: one deploys, the other finds the slot claimed on the primary", async () => {
    // 15 s before the slot: two servers starting at once on a loaded machine still start before it.
    const clock = clockAt("2026-03-24T08:59:45Z");
    const [a, b] = await Promise.all([serve(p, clock), serve(p, clock)]);
    const result = (s: Served) => new RegExp(`schedule weekly: slot ${SLOT}: \\w+`).test(s.stderr());
    await waitFor(() => result(a) && result(b), 60_000);
    const logs = [a.stderr(), b.stderr()];
    expect(logs.filter((l) => l.includes(`slot ${SLOT}: ok (run `))).toHaveLength(1);
    expect(logs.filter((l) => new RegExp(`slot ${SLOT}: skipped: slot already claimed on h1 by slipway serve pid \\d+`).test(l))).toHaveLength(1);
    expect(p.releases("h1")).toHaveLength(1);
    expect(p.read("h1", "current/index.html")).toBe("v1");
    await Promise.all([a.stop(), b.stop()]);
    const h = await run(p, ["prod", "history", "--json"]);
    expect(h.code, h.stderr).toBe(0);
    expect(h.stdout.match(/schedule:weekly/g)?.length).toBe(1);
  }, 90_000);

  it("a slot that finds the lock held by a person is skipped, naming the holder, and nothing is deployed", async () => {
    const lock = await run(p, ["prod", "lock", "acquire", "-m", "db maintenance"], { SLIPWAY_USER: "ada" });
    expect(lock.code, lock.stderr).toBe(0);
    const s = await serve(p, clockAt("2026-03-31T07:59:56Z"));
    await waitFor(() => s.stderr().includes(`slot ${NEXT}: skipped`), 60_000);
    expect(s.stderr()).toMatch(new RegExp(`schedule weekly: slot ${NEXT}: skipped \\(run \\d+\\): prod is locked \\(on h1\\): held by ada\\S* for`));
    expect(p.releases("h1")).toHaveLength(1);
    const token = await viewerToken(p);
    const v = await get(s.url, "/api/schedules", token);
    expect(v.body.schedules[0].last).toMatchObject({
      slot: NEXT,
      outcome: "skipped",
      detail: expect.stringMatching(/^lock held by ada\S*: .*manual lock: "db maintenance"/s),
    });
    await s.stop();
    expect((await run(p, ["prod", "lock", "release"])).code).toBe(0);
  }, 90_000);
});
