/**
 * `state: postgres` through the built CLI against a real PostgreSQL server (test/dbservers.ts) and
 * local hosts: runs and events recorded, the URL and password nowhere, 8 CLIs migrating and writing
 * at once, a server restart mid-run, a server that stays down, and `state import` from SQLite.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HAVE_POSTGRES, type PgServer, startPostgres } from "../dbservers.js";
import { MIGRATIONS } from "../../src/store/migrations.js";
import { PgStore } from "../../src/store/postgres.js";
import { type CliResult, cliSpawn, Project, waitFor } from "../helpers.js";

/** On CI a missing PostgreSQL fails (startPostgres throws), never skips. */
const SKIP = !HAVE_POSTGRES && process.env.CI !== "true";
if (SKIP) console.warn("SKIPPING state-postgres tests: needs postgresql (apt-get install postgresql); CI=true makes this a failure");

let server: PgServer;
beforeAll(async () => {
  if (!SKIP) server = await startPostgres();
}, 60_000);
afterAll(() => server?.stop());

const projects: Project[] = [];
afterAll(() => {
  for (const p of projects) p.cleanup();
});

let dbSeq = 0;
/** A fresh database owned by the app user, and the URL that reaches it (password percent-encoded). */
function freshDb(): { name: string; url: string } {
  const name = `state${++dbSeq}`;
  server.sql(`CREATE DATABASE ${name} OWNER app`);
  return { name, url: `postgres://app:${encodeURIComponent(server.password)}@127.0.0.1:${server.port}/${name}` };
}

/** One local host per environment (its own deploy_to, so runs never share a lock); `build` runs in each. */
function project(envs: string[], opts: { state: string; build: string }): Project {
  const p = new Project("slipway-pgstate-");
  projects.push(p);
  p.repo.commit({ "index.html": "v1" });
  p.writeConfig(`app: pgapp
source: { git: ./app, ref: main }
state: ${opts.state}
build:
  - ${JSON.stringify(opts.build)}
environments:
${envs.map((e) => `  ${e}:\n    hosts:\n      - { name: host-${e}, transport: local, deploy_to: ./hosts/host-${e} }`).join("\n")}
`);
  return p;
}

const run = (p: Project, env: Record<string, string>, ...args: string[]): Promise<CliResult> => cliSpawn(args, { cwd: p.dir, env }).done;

interface StoredRun {
  id: number;
  env: string;
  release_id: string | null;
  outcome: string | null;
  verb: string;
  events: { seq: number; type: string; host?: string; env?: string; line?: string }[];
}

/** Every run in a database with its events in seq order, read as the superuser. */
function storedRuns(db: string): StoredRun[] {
  const out = server.sql(
    `SELECT json_build_object('id', r.id, 'env', r.env, 'verb', r.verb, 'release_id', r.release_id, 'outcome', r.outcome,
       'events', coalesce((SELECT json_agg(e.json::jsonb || jsonb_build_object('seq', e.seq) ORDER BY e.seq) FROM events e WHERE e.run_id = r.id), '[]'::json))
     FROM runs r ORDER BY r.id`,
    db,
  );
  return out
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/** Everything the store holds, as text (to search for leaks). */
const storeText = (db: string) =>
  server.sql("SELECT (SELECT coalesce(string_agg(r::text, E'\\n'), '') FROM runs r) || (SELECT coalesce(string_agg(e::text, E'\\n'), '') FROM events e)", db);

const logs = (p: Project) => {
  const d = path.join(p.dir, ".slipway", "logs");
  return existsSync(d) ? readdirSync(d).map((f) => readFileSync(path.join(d, f), "utf8")) : [];
};

const contiguous = (r: StoredRun) => r.events.map((e) => e.seq).join(",") === r.events.map((_, i) => i + 1).join(",");

describe.skipIf(SKIP)("state: postgres", () => {
  it("a deploy records its run and every event; history --local shows it; the URL and password appear nowhere", async () => {
    const db = freshDb();
    // The long form with a variable of our own: local commands do inherit it, so the redactor must catch it.
    const p = project(["prod"], { state: "{ store: postgres, url_env: TEAM_STATE_URL }", build: 'echo "url=$TEAM_STATE_URL"; echo "std=$SLIPWAY_STATE_URL"' });
    const env = { TEAM_STATE_URL: db.url, SLIPWAY_STATE_URL: db.url };
    const r = await run(p, env, "prod", "deploy", "-v");
    expect(r.code, r.stderr).toBe(0);
    const [stored, ...more] = storedRuns(db.name);
    expect(more).toHaveLength(0);
    expect(stored).toMatchObject({ env: "prod", verb: "deploy", outcome: "ok", release_id: p.current("host-prod") });
    expect(contiguous(stored!)).toBe(true);
    expect(stored!.events.filter((e) => e.type === "run:start")).toHaveLength(1);
    expect(stored!.events.at(-1)?.type).toBe("run:end");
    const lines = stored!.events.filter((e) => e.type === "output").map((e) => e.line);
    expect(lines).toContain("url=[REDACTED]");
    // $SLIPWAY_STATE_URL is withheld from local commands altogether.
    expect(lines).toContain("std=");

    const h = await run(p, env, "prod", "history", "--local", "--json");
    expect(h.code, h.stderr).toBe(0);
    expect(JSON.parse(h.stdout)).toEqual([expect.objectContaining({ verb: "deploy", outcome: "ok", releaseId: p.current("host-prod") })]);
    const table = await run(p, env, "prod", "history", "--local");
    expect(table.stdout).toContain(p.current("host-prod")!);

    const leaks = [db.url, server.password, encodeURIComponent(server.password)];
    const texts = [r.stdout, r.stderr, h.stdout, h.stderr, table.stdout, table.stderr, ...logs(p), storeText(db.name)];
    expect(texts.join("\n")).toContain("url=[REDACTED]");
    for (const t of texts) for (const secret of leaks) expect(t).not.toContain(secret);
    // SQLite is not used at all with state: postgres.
    expect(existsSync(path.join(p.dir, ".slipway", "state.db"))).toBe(false);
  });

  it("an unset URL variable is a clear error naming it, before anything runs", async () => {
    const p = project(["prod"], { state: "postgres", build: "true" });
    const r = await run(p, { SLIPWAY_STATE_URL: "" }, "prod", "deploy");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/state: postgres reads the database URL from \$SLIPWAY_STATE_URL, which is not set/);
    expect(p.current("host-prod")).toBeNull();
  });

  it("8 CLIs at once on a fresh database: each migration once, 8 runs, each run's events complete and its own", async () => {
    const db = freshDb();
    const envs = Array.from({ length: 8 }, (_, i) => `env${i + 1}`);
    const p = project(envs, { state: "postgres", build: 'for i in 1 2 3 4 5; do echo "tick $i of $SLIPWAY_ENV"; sleep 0.05; done' });
    const results = await Promise.all(envs.map((e) => run(p, { SLIPWAY_STATE_URL: db.url }, e, "deploy", "-v")));
    for (const r of results) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/warning|unreachable|did not record/);
    }
    // each migration applied exactly once, though 8 CLIs raced to apply them
    expect(server.sql("SELECT count(*) FROM slipway_schema_migrations", db.name).trim()).toBe(String(MIGRATIONS.length));
    const runs = storedRuns(db.name);
    expect(runs.map((r) => r.env).sort()).toEqual(envs);
    for (const r of runs) {
      expect(r.outcome, r.env).toBe("ok");
      expect(contiguous(r), r.env).toBe(true);
      expect(r.events.filter((e) => e.type === "run:start").map((e) => e.env)).toEqual([r.env]);
      expect(r.events.at(-1)?.type).toBe("run:end");
      // No other run's events: every host named is this environment's, every tick is its own.
      for (const e of r.events) if (e.host) expect(e.host, r.env).toBe(`host-${r.env}`);
      const ticks = r.events.filter((e) => e.line?.startsWith("tick")).map((e) => e.line);
      expect(ticks).toEqual([1, 2, 3, 4, 5].map((i) => `tick ${i} of ${r.env}`));
      expect(r.release_id).toBe(p.current(`host-${r.env}`));
    }
  });

  it("the server restarted mid-run: the deploy exits 0 and every event reaches the store, outcome ok", async () => {
    const db = freshDb();
    const p = project(["prod"], {
      state: "postgres",
      build: `touch "$MARK_FILE"; for i in $(seq 1 30); do echo "tick $i"; sleep 0.1; done`,
    });
    const mark = path.join(p.dir, "building");
    const child = cliSpawn(["prod", "deploy", "-v"], { cwd: p.dir, env: { SLIPWAY_STATE_URL: db.url, MARK_FILE: mark } });
    await waitFor(() => existsSync(mark));
    // Stopped while the hook prints: those events are buffered, then flushed when the server is back.
    server.ctl("stop");
    await new Promise((r) => setTimeout(r, 1000));
    server.ctl("start");
    const r = await child.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/did not record/);
    const [stored] = storedRuns(db.name);
    expect(stored).toMatchObject({ outcome: "ok", release_id: p.current("host-prod") });
    expect(contiguous(stored!)).toBe(true);
    expect(stored!.events.filter((e) => e.line?.startsWith("tick")).map((e) => e.line)).toEqual(Array.from({ length: 30 }, (_, i) => `tick ${i + 1}`));
    expect(stored!.events.at(-1)?.type).toBe("run:end");
  });

  it("pg_ctl restart while a run's connection is idle: no crash, nothing lost", async () => {
    const db = freshDb();
    const p = project(["prod"], { state: "postgres", build: 'touch "$MARK_FILE"; sleep 3; echo after' });
    const mark = path.join(p.dir, "building");
    const child = cliSpawn(["prod", "deploy", "-v"], { cwd: p.dir, env: { SLIPWAY_STATE_URL: db.url, MARK_FILE: mark } });
    await waitFor(() => existsSync(mark));
    server.ctl("restart");
    const r = await child.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/did not record|internal error/);
    const [stored] = storedRuns(db.name);
    expect(stored?.outcome).toBe("ok");
    expect(contiguous(stored!)).toBe(true);
    expect(stored!.events.some((e) => e.line === "after")).toBe(true);
  });

  it("the server down until the end: the deploy exits 0 and warns once what was not recorded", async () => {
    const db = freshDb();
    const p = project(["prod"], { state: "postgres", build: 'touch "$MARK_FILE"; sleep 1; echo "built while down"' });
    const mark = path.join(p.dir, "building");
    const env = { SLIPWAY_STATE_URL: db.url, MARK_FILE: mark, SLIPWAY_STATE_WAIT_MS: "1500" };
    const child = cliSpawn(["prod", "deploy"], { cwd: p.dir, env });
    await waitFor(() => existsSync(mark));
    server.ctl("stop");
    try {
      const t0 = Date.now();
      const r = await child.done;
      expect(r.code, r.stderr).toBe(0);
      expect(Date.now() - t0).toBeLessThan(10_000);
      const warnings = r.stderr.split("\n").filter((l) => l.includes("did not record"));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(
        /^warning: the team's state store \(PostgreSQL\) did not record \d+ of this run's \d+ events and its outcome \(ok\): PostgreSQL: .+\. The full log is in \/.+\.log\.$/,
      );
      const logFile = warnings[0]!.match(/The full log is in (\/.+\.log)\.$/)![1]!;
      expect(readFileSync(logFile, "utf8")).toContain("built while down");
      for (const t of [r.stdout, r.stderr]) expect(t).not.toContain(server.password);
    } finally {
      server.ctl("start");
    }
    const [stored] = storedRuns(db.name);
    expect(stored?.outcome).toBeNull();
    expect(stored!.events.some((e) => e.line === "built while down")).toBe(false);
  });

  it("the server down from the start: a clear warning, the deploy goes on and exits 0 without waiting long", async () => {
    const db = freshDb();
    const p = project(["prod"], { state: "postgres", build: "echo built" });
    server.ctl("stop");
    try {
      const t0 = Date.now();
      const r = await run(p, { SLIPWAY_STATE_URL: db.url, SLIPWAY_STATE_WAIT_MS: "500" }, "prod", "deploy");
      expect(r.code, r.stderr).toBe(0);
      expect(Date.now() - t0).toBeLessThan(8000);
      expect(p.current("host-prod")).not.toBeNull();
      expect(r.stderr).toMatch(/warning: the team's state store \(PostgreSQL\) is unreachable \(PostgreSQL: .*ECONNREFUSED.*\): the run goes on/);
      expect(r.stderr).toMatch(/did not record this run \(\d+ events, outcome ok\)/);
      expect(r.stderr).not.toContain(server.password);
    } finally {
      server.ctl("start");
    }
    // Nothing reached the store, not even the schema.
    expect(server.sql("SELECT to_regclass('runs') IS NULL", db.name).trim()).toBe("t");
  });

  it("runsBetween: the period's deploys and rollbacks of one app and environment, oldest first, with run:start's commitTime", async () => {
    const db = freshDb();
    const p = project(["prod", "qa"], { state: "postgres", build: "echo building" });
    const env = { SLIPWAY_STATE_URL: db.url };
    const from = new Date().toISOString();
    for (const args of [
      ["prod", "deploy"],
      ["qa", "deploy"],
      ["prod", "status"],
      ["prod", "deploy"],
      ["prod", "rollback"],
    ]) {
      p.repo.commit({ "index.html": `v${Math.random()}` });
      const r = await run(p, env, ...args);
      expect(r.code, r.stderr).toBe(0);
    }
    const commitAt = Date.parse(p.repo.git("log", "-1", "--format=%cI", "HEAD~1"));
    const store = new PgStore(db.url, "pgapp");
    const other = new PgStore(db.url, "another");
    try {
      const to = new Date(Date.now() + 1000).toISOString();
      const runs = await store.runsBetween("prod", from, to, ["deploy", "rollback"]);
      expect(runs.map((r) => [r.verb, r.outcome])).toEqual([
        ["deploy", "ok"],
        ["deploy", "ok"],
        ["rollback", "ok"],
      ]);
      expect(Date.parse(runs[1]!.commitTime!)).toBe(commitAt);
      expect(runs[2]!.commitTime).toBeNull();
      expect(runs[2]!.releaseId).toBe(runs[0]!.releaseId);
      expect(await store.runsBetween("prod", to, new Date(Date.now() + 2000).toISOString(), ["deploy"])).toEqual([]);
      expect(await store.runsBetween("prod", from, to, [])).toEqual([]);
      expect(await other.runsBetween("prod", from, to, ["deploy"])).toEqual([]);
    } finally {
      await store.close();
      await other.close();
    }
  });

  it("state import copies a SQLite store made by real runs, every environment; a second import copies nothing", async () => {
    const p = project(["prod", "qa"], { state: "sqlite", build: "echo building" });
    for (const e of ["prod", "qa", "prod"]) expect((await run(p, {}, e, "deploy")).code).toBe(0);
    const sqlite = new Database(path.join(p.dir, ".slipway", "state.db"), { readonly: true });
    const nEvents = (sqlite.prepare("SELECT count(*) AS n FROM events").get() as { n: number }).n;
    const firstEvents = (sqlite.prepare("SELECT json FROM events WHERE run_id = 1 ORDER BY seq").all() as { json: string }[]).map((x) => JSON.parse(x.json));
    sqlite.close();
    expect(nEvents).toBeGreaterThan(10);

    const db = freshDb();
    p.writeConfig(readFileSync(path.join(p.dir, "slipway.yml"), "utf8").replace("state: sqlite", "state: postgres"));
    const env = { SLIPWAY_STATE_URL: db.url };
    const first = await run(p, env, "state", "import");
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`^copied 3 runs \\(${nEvents} events\\) from .*state\\.db; skipped 0 runs \\(0 events\\)`));
    const runs = storedRuns(db.name);
    expect(runs.map((r) => [r.env, r.outcome])).toEqual([
      ["prod", "ok"],
      ["qa", "ok"],
      ["prod", "ok"],
    ]);
    expect(runs.reduce((n, r) => n + r.events.length, 0)).toBe(nEvents);
    expect(runs[0]!.events.map(({ seq: _, ...e }) => e)).toEqual(firstEvents);

    const again = await run(p, env, "state", "import", "--from", path.join(p.dir, ".slipway", "state.db"), "--json");
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ copied: { runs: 0, events: 0 }, skipped: { runs: 3, events: nEvents } });
    expect(server.sql("SELECT count(*) FROM runs", db.name).trim()).toBe("3");
    const h = await run(p, env, "qa", "history", "--local", "--json");
    expect(JSON.parse(h.stdout)).toEqual([expect.objectContaining({ env: "qa", outcome: "ok" })]);
    for (const t of [first.stdout, first.stderr, again.stdout, again.stderr]) expect(t).not.toContain(server.password);
  });
});
