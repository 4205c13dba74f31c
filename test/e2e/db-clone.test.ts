/**
 * `slipway qa db clone --from production` through the built CLI: real sshd hosts (prod-db, qa-db,
 * qa-web with a command-backend service), real PostgreSQL and MariaDB. One server per engine
 * holds both databases (appdb for production, qadb for qa), reached from each db host on loopback.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DbServer, type Engine, SKIP_DB, startDb } from "../dbservers.js";
import { Fleet, SKIP_FLEET } from "../fleet.js";
import { cliSpawn, Repo, tmpdir } from "../helpers.js";

const SKIP = SKIP_FLEET || SKIP_DB;
const NAMES = ["prod-db", "qa-db", "qa-web"];
const ENGINES: Engine[] = ["postgres", "mysql"];
let fleet: Fleet;
const servers: Partial<Record<Engine, DbServer>> = {};

beforeAll(async () => {
  if (SKIP) return;
  fleet = await Fleet.start(NAMES);
  for (const e of ENGINES) servers[e] = await startDb(e);
}, 120_000);
afterAll(() => {
  if (fleet) fleet.asUser("qa-web", 'for f in apps/*/shared/ticker.pid; do [ -f "$f" ] && kill $(cat "$f") 2>/dev/null; done; true');
  fleet?.stop();
  for (const s of Object.values(servers)) s?.stop();
});

const USERS = 40;

/** Production data that looks real: emails, phones, names, API secrets, sessions. */
function seed(db: DbServer) {
  const pg = db.engine === "postgres";
  const id = pg ? "id serial PRIMARY KEY" : "id int AUTO_INCREMENT PRIMARY KEY";
  const rows = Array.from({ length: USERS }, (_, i) => `('alice.${i}@gmail.com', '+44 7700 900${String(i).padStart(3, "0")}', 'Alice O''Brien ${i}')`).join(
    ",\n",
  );
  db.sql(
    `${pg ? "SET ROLE app;" : ""}
CREATE TABLE users (${id}, email varchar(200) UNIQUE, phone varchar(40), full_name varchar(200));
INSERT INTO users (email, phone, full_name) VALUES ${rows};
INSERT INTO users (email, phone, full_name) VALUES (NULL, NULL, NULL);
CREATE TABLE api_credentials (${id}, service varchar(40), secret varchar(200));
INSERT INTO api_credentials (service, secret) VALUES ('stripe', 'sk_live_51HxREALSECRET'), ('mailgun', 'key-3ax6xnjp29jd6fds4gc373sgvjxteol0');
CREATE TABLE sessions (${id}, token varchar(200));
INSERT INTO sessions (token) VALUES ('sess-aaaa'), ('sess-bbbb');`,
    "appdb",
  );
  // qa's database exists with stale content of its own: the clone replaces it.
  if (pg) db.sql("CREATE DATABASE qadb OWNER app;");
  else db.sql("CREATE DATABASE qadb;");
  db.sql(`${pg ? "SET ROLE app;" : ""} CREATE TABLE stale (x int); INSERT INTO stale VALUES (1);`, "qadb");
}

const RULES = `        clone:
          scrub: ["DELETE FROM sessions"]
          columns:
            users.email: email
            users.phone: phone
            users.full_name: name
            api_credentials.secret: { set: test-key }
          check:
            - SELECT email FROM users WHERE email NOT LIKE '%@example.invalid'
            - SELECT service, secret FROM api_credentials WHERE secret <> 'test-key'`;

describe.skipIf(SKIP).each(ENGINES)("db clone (%s)", (engine) => {
  it("scrubbed clone replaces qa's database (no production email, phone or secret left, rows equal), services stopped and started; refusals; --unscrubbed recorded; a failing check leaves services stopped, exit 1", async () => {
    const db = servers[engine]!;
    seed(db);
    const app = `clone${engine}`;
    const repo = new Repo(path.join(fleet.gitBase, app));
    repo.commit({ VERSION: "1" });
    const dir = tmpdir();
    const conf = (qaClone: string, qaName = "qadb") => `app: ${app}
source: { git: "${fleet.gitUrl(app)}", ref: main }
secret_env: [PROD_DB_PW, QA_DB_PW]
services:
  ticker:
    backend: command
    roles: [web]
    start: nohup sleep 6000 > /dev/null 2>&1 < /dev/null & echo $! > ../../shared/ticker.pid
    stop: kill $(cat ../../shared/ticker.pid)
    pid_file: shared/ticker.pid
environments:
  production:
    hosts:
      - { name: prod-db, address: prod-db, roles: [db] }
    databases:
      main: { engine: ${engine}, port: ${db.port}, name: appdb, user: app, password_secret: PROD_DB_PW }
  qa:
    hosts:
      - { name: qa-web, address: qa-web, roles: [web] }
      - { name: qa-db, address: qa-db, roles: [db] }
    databases:
      main:
        engine: ${engine}
        port: ${db.port}
        name: ${qaName}
        user: app
        password_secret: QA_DB_PW
${qaClone}
`;
    const files: Record<string, string> = {
      "slipway.yml": conf(RULES),
      "norules.yml": conf(""),
      "same.yml": conf(RULES, "appdb"),
      // The name rule left out, and a check that catches it.
      "leaky.yml": conf(
        `${RULES.replace("            users.full_name: name\n", "")}\n            - SELECT id, full_name FROM users WHERE full_name NOT LIKE 'Test%'`,
      ),
    };
    for (const [f, body] of Object.entries(files)) writeFileSync(path.join(dir, f), body);
    const env = { ...fleet.env, PROD_DB_PW: db.password, QA_DB_PW: db.password };
    // Asynchronous: a long test that never yields starves vitest's worker RPC under load.
    const run = async (...a: string[]) => {
      const r = await cliSpawn(a, { cwd: dir, env }).done;
      // The password never reaches the output (it has $, quotes and backslashes: only redaction hides it).
      expect(r.stdout + r.stderr).not.toContain(db.password);
      return r;
    };
    const q = (sql: string, name = "qadb") => db.sql(sql, name).trim();
    const tickerPid = () => fleet.asUser("qa-web", `cat apps/${app}/shared/ticker.pid`).trim();
    // A zombie is not alive (the container's init may not reap the stopped process at once).
    const alive = (pid: string) =>
      fleet.asUser("qa-web", `kill -0 ${pid} 2>/dev/null && [ "$(awk '{print $3}' /proc/${pid}/stat 2>/dev/null)" != Z ] && echo yes || echo no`).trim() ===
      "yes";
    const prodFingerprint = () =>
      q(
        engine === "postgres"
          ? "SELECT string_agg(coalesce(email,'') || phone || full_name, ',' ORDER BY id) FROM users"
          : "SELECT GROUP_CONCAT(CONCAT(coalesce(email,''), coalesce(phone,''), coalesce(full_name,'')) ORDER BY id) FROM users",
        "appdb",
      );

    let r = await run("qa", "deploy");
    expect(r.code, r.stderr).toBe(0);
    const pid1 = tickerPid();
    expect(alive(pid1)).toBe(true);

    // no backup of production yet: refused, a backup is suggested (a clone takes none)
    r = await run("qa", "db", "clone", "--from", "production", "--yes");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Take one with: slipway production db backup");

    r = await run("production", "db", "backup", "-m", "for qa");
    expect(r.code, r.stderr).toBe(0);
    const before = prodFingerprint();
    expect(before).toContain("alice.0@gmail.com");

    // --plan: every step, nothing changed
    r = await run("qa", "db", "clone", "--from", "production", "--plan");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/1\. stop services \(qa-web: ticker\)/);
    expect(r.stdout).toMatch(/2\. restore backup \d{8}-\d{6}-[0-9a-f]{4} of production main, created \S+ by /);
    expect(r.stdout).toContain("no new backup is taken: for fresh data run `slipway production db backup` first");
    expect(r.stdout).toContain("streamed prod-db → this machine → qa-db");
    expect(r.stdout).toContain("DELETE FROM sessions;");
    expect(r.stdout).toMatch(/4\. checks, each must return no rows[\s\S]*SELECT email FROM users WHERE email NOT LIKE/);
    expect(r.stdout).toContain("5. start services (qa-web: ticker) and wait for health");
    expect(q("SELECT count(*) FROM stale")).toBe("1");
    // without --yes: the plan, and a refusal (exit 2)
    r = await run("qa", "db", "clone", "--from", "production");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("pass --yes");
    expect(q("SELECT count(*) FROM stale")).toBe("1");

    // the clone
    r = await run("qa", "db", "clone", "--from", "production", "--yes");
    expect(r.code, r.stderr).toBe(0);
    expect(q("SELECT count(*) FROM users WHERE email NOT LIKE '%@example.invalid'")).toBe("0");
    expect(q("SELECT count(*) FROM users")).toBe(String(USERS + 1));
    expect(q("SELECT count(DISTINCT email) FROM users")).toBe(String(USERS));
    expect(q("SELECT count(*) FROM users WHERE email IS NULL")).toBe("1");
    expect(q("SELECT DISTINCT phone FROM users WHERE phone IS NOT NULL")).toBe("+15550100");
    expect(q("SELECT DISTINCT full_name FROM users WHERE full_name IS NOT NULL")).toBe("Test User");
    expect(q("SELECT DISTINCT secret FROM api_credentials")).toBe("test-key");
    expect(q("SELECT count(*) FROM api_credentials")).toBe("2");
    expect(q("SELECT count(*) FROM sessions")).toBe("0");
    expect(() => q("SELECT count(*) FROM stale")).toThrow(); // replaced, not merged
    expect(prodFingerprint()).toBe(before); // production untouched
    expect(q("SELECT count(*) FROM sessions", "appdb")).toBe("2");
    const pid2 = tickerPid();
    expect(pid2).not.toBe(pid1);
    expect(alive(pid1)).toBe(false);
    expect(alive(pid2)).toBe(true);
    // qa's own database was backed up before it was replaced; the copy of production's backup
    // streamed into qa's backup directory is gone again
    r = await run("production", "db", "backups", "--json");
    const prodId = (JSON.parse(r.stdout) as { id: string }[])[0]!.id;
    r = await run("qa", "db", "backups", "--json");
    expect(r.code, r.stderr).toBe(0);
    const qaBackups = JSON.parse(r.stdout) as { id: string; reason: string; tables: Record<string, unknown> }[];
    expect(qaBackups.map((b) => b.reason)).toEqual(["before-restore"]);
    expect(qaBackups[0]!.id).not.toBe(prodId);
    expect(Object.keys(qaBackups[0]!.tables).join()).toMatch(/stale/);
    expect(fleet.asUser("qa-db", `ls -a apps/${app}/.slipway/backups/main`)).not.toContain(prodId);

    // refusals: the same environment, a target that is production's database, no scrub rules
    r = await run("qa", "db", "clone", "--from", "qa", "--yes");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--from qa is this environment");
    r = await run("-c", "same.yml", "qa", "db", "clone", "--from", "production", "--yes");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("a clone never restores over its source");
    expect(prodFingerprint()).toBe(before);
    r = await run("-c", "norules.yml", "qa", "db", "clone", "--from", "production", "--yes");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no scrub rules .* pass --unscrubbed/);
    expect(q("SELECT count(*) FROM users WHERE email NOT LIKE '%@example.invalid'")).toBe("0");

    // --unscrubbed: done, warned about, recorded on the primary and in the local store
    r = await run("-c", "norules.yml", "qa", "db", "clone", "--from", "production", "--unscrubbed", "--yes");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("--unscrubbed: production's data is copied into qa as it is");
    expect(q("SELECT count(*) FROM users WHERE email LIKE '%@gmail.com'")).toBe(String(USERS));
    r = await run("qa", "history", "--json");
    expect(r.code, r.stderr).toBe(0);
    const hist = JSON.parse(r.stdout) as { verb: string; outcome: string; message: string }[];
    const clones = hist.filter((h) => h.verb === "db clone");
    expect(clones.map((h) => h.outcome)).toEqual(["ok", "ok"]); // newest first
    expect(clones[0]!.message).toMatch(/^main from production backup \S+, UNSCRUBBED \(--unscrubbed\)/);
    expect(clones[1]!.message).toMatch(/^main from production backup \S+, scrubbed: 2 check\(s\) passed/);
    expect(r.stderr).not.toContain("malformed");
    r = await run("qa", "history", "--local", "--json");
    const runs = JSON.parse(r.stdout) as { verb: string; outcome: string }[];
    expect(runs.map((x) => x.verb)).toContain("db clone --unscrubbed");

    // a check that finds rows: exit 1 with the rows, services stay stopped, history says failed
    r = await run("-c", "leaky.yml", "qa", "db", "clone", "--from", "production", "--yes");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("1 of 3 check(s) returned rows after scrubbing; qa's services stay stopped");
    expect(r.stderr).toContain(`${USERS} row(s):`);
    expect(r.stderr).toMatch(/\d+\tAlice O'Brien \d+/);
    expect(r.stderr).toContain(`... and ${USERS - 20} more`);
    expect(alive(pid2)).toBe(false);
    expect(q("SELECT count(*) FROM users WHERE email NOT LIKE '%@example.invalid'")).toBe("0"); // the rest was scrubbed
    r = await run("qa", "history", "--json");
    const last = (JSON.parse(r.stdout) as { verb: string; outcome: string; message: string }[])[0]!;
    expect(last).toMatchObject({ verb: "db clone", outcome: "failed" });
    expect(last.message).toContain("1 check(s) returned rows; services left stopped");
    // nor the log files and the state store of this machine
    expect(readdirSync(path.join(dir, ".slipway", "logs")).filter((f) => f.includes("db clone") || f.includes("db-clone")).length).toBeGreaterThan(2);
    const grep = spawnSync("grep", ["-rlF", "--", db.password, path.join(dir, ".slipway")], { encoding: "utf8" });
    expect(grep.stdout).toBe("");
    expect(grep.status).toBe(1);
    r = await run("qa", "lock", "status");
    expect(r.stdout + r.stderr).not.toMatch(/held by/);
  }, 240_000);
});
