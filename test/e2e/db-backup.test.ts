/**
 * `db backup | backups | verify | restore` through the built CLI against a real sshd host (db1,
 * roles [db]) and real PostgreSQL and MariaDB servers: consistency under concurrent writes,
 * checksums, tampering, secrets never in ps/output/log/store, file modes, encryption, retention, failures.
 */
import { execFile, execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentialText } from "../../src/commands/db/client.js";
import { type DbServer, type Engine, SKIP_DB, startDb } from "../dbservers.js";
import { Fleet, SKIP_FLEET } from "../fleet.js";
import { cliSpawn, type CliResult, tmpdir } from "../helpers.js";

const SKIP = SKIP_FLEET || SKIP_DB;
const execFileAsync = promisify(execFile);
let fleet: Fleet;
beforeAll(async () => {
  if (!SKIP) fleet = await Fleet.start(["db1"]);
}, 60_000);
afterAll(() => fleet?.stop());

let seq = 0;
function project(server: DbServer, backups = "") {
  const app = `bk${++seq}`;
  const dir = tmpdir();
  const write = (extra: string) =>
    writeFileSync(
      path.join(dir, "slipway.yml"),
      `app: ${app}
source: { git: "${fleet.gitUrl(app)}", ref: main }
secret_env: [DB_PASSWORD]
environments:
  prod:
    hosts:
      - { name: db1, address: db1, roles: [db] }
    databases:
      main:
        engine: ${server.engine}
        host: 127.0.0.1
        port: ${server.port}
        name: ${server.name}
        user: ${server.user}
        password_secret: DB_PASSWORD
${extra ? `        backups: { ${extra} }` : ""}
`,
    );
  write(backups);
  const env = { ...fleet.env, DB_PASSWORD: server.password };
  // Asynchronous: a long synchronous CLI run would starve the test runner's own messages.
  const run = (...args: string[]): Promise<CliResult> => cliSpawn(args, { cwd: dir, env }).done;
  const spawnCli = (...args: string[]) => cliSpawn(args, { cwd: dir, env });
  const backupDir = path.join(fleet.host("db1").home, "apps", app, ".slipway", "backups", "main");
  return { app, dir, run, spawnCli, backupDir, rewrite: write };
}

/** Rows via the superuser; a table name quoted for the engine. */
const q = (e: Engine, t: string) => (e === "postgres" ? `"${t}"` : `\`${t}\``);
const count = (s: DbServer, t: string, db = s.name) => Number(s.sql(`SELECT COUNT(*) FROM ${q(s.engine, t)}`, db).trim());
/** Content fingerprint of a table independent of physical order (ordered by id). */
function fingerprint(s: DbServer, t: string, db = s.name): string {
  const sql =
    s.engine === "postgres"
      ? `SELECT md5(string_agg(id::text || ':' || v, ',' ORDER BY id)) FROM ${q(s.engine, t)}`
      : `SELECT MD5(GROUP_CONCAT(CONCAT(id, ':', v) ORDER BY id SEPARATOR ',')) FROM ${q(s.engine, t)}`;
  return s.sql(s.engine === "mysql" ? `SET SESSION group_concat_max_len = 1073741824; ${sql}` : sql, db).trim();
}

function seed(s: DbServer, rows: number) {
  if (s.engine === "postgres") {
    s.sql(
      `CREATE TABLE t (id serial PRIMARY KEY, v text NOT NULL); CREATE TABLE "my table" (id serial PRIMARY KEY, v text NOT NULL);
       INSERT INTO t (v) SELECT repeat(md5(g::text), 3) FROM generate_series(1, ${rows}) g;
       INSERT INTO "my table" (v) VALUES (E'tab\\there'), (E'new\\nline'), ('quote''s');
       ALTER TABLE t OWNER TO app; ALTER TABLE "my table" OWNER TO app;`,
      s.name,
    );
  } else {
    s.sql(
      `CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, v TEXT NOT NULL) ENGINE=InnoDB;
       CREATE TABLE \`my table\` (id INT AUTO_INCREMENT PRIMARY KEY, v TEXT NOT NULL) ENGINE=InnoDB;
       CREATE TABLE legacy (id INT PRIMARY KEY) ENGINE=MyISAM;
       INSERT INTO t (v) SELECT REPEAT(MD5(seq), 3) FROM seq_1_to_${rows};
       INSERT INTO \`my table\` (v) VALUES ('tab\\there'), ('new\\nline'), ('quote''s');`,
      s.name,
    );
  }
}

/** A client that inserts rows one transaction at a time until `stop()`; resolves with its exit code and stderr. */
function writer(s: DbServer, dir: string) {
  const pass = path.join(dir, "writer.pass");
  writeFileSync(pass, credentialText({ engine: s.engine, password: s.password }), { mode: 0o600 });
  const stopFile = path.join(dir, "writer.stop");
  const client =
    s.engine === "postgres"
      ? `PGPASSFILE=${pass} psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p ${s.port} -U ${s.user} -d ${s.name} >/dev/null`
      : `mysql --defaults-extra-file=${pass} -h 127.0.0.1 -P ${s.port} -u ${s.user} ${s.name}`;
  const stmt = "INSERT INTO t (v) VALUES (REPEAT('w', 96));";
  const loop = `while [ ! -e ${stopFile} ]; do for i in 1 2 3 4 5 6 7 8 9 10; do echo "${stmt}"; done; sleep 0.005; done | ${client}`;
  const child = spawn("bash", ["-c", loop], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  const done = new Promise<{ code: number | null; stderr: string }>((r) => child.on("close", (code) => r({ code, stderr })));
  return {
    async stop() {
      writeFileSync(stopFile, "");
      return done;
    },
  };
}

/** Every file under a directory, concatenated (for "the secret is nowhere in the state dir"). */
function allBytes(dir: string): Buffer {
  if (!existsSync(dir)) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) if (e.isFile()) parts.push(readFileSync(path.join(e.parentPath, e.name)));
  return Buffer.concat(parts);
}

const meta = (p: ReturnType<typeof project>, id: string) => JSON.parse(readFileSync(path.join(p.backupDir, `${id}.json`), "utf8"));
const idOf = (r: CliResult) => {
  const m = /backup (\d{8}-\d{6}-[0-9a-f]{4}) of main/.exec(r.stdout + r.stderr);
  if (!m) throw new Error(`no backup id in output:\n${r.stdout}\n${r.stderr}`);
  return m[1]!;
};

const ENGINES: Engine[] = ["postgres", "mysql"];

describe.skipIf(SKIP).each(ENGINES)("db backups on %s", (engine) => {
  let server: DbServer;
  beforeAll(async () => {
    server = await startDb(engine);
    seed(server, 100_000);
  }, 120_000);
  afterAll(() => server?.stop());

  it("backup under continuous writes is consistent; ps never shows the password; verify ok; restore --into equals the source", async () => {
    const p = project(server);
    const w = writer(server, p.dir);
    await new Promise((r) => setTimeout(r, 300));
    const samples: string[] = [];
    // ps sampled back to back, asynchronously (a blocking loop would starve the test runner)
    let sampling = true;
    const sampler = (async () => {
      while (sampling) samples.push((await execFileAsync("ps", ["-eo", "args"], { encoding: "utf8", maxBuffer: 16 << 20 })).stdout);
    })();
    const child = p.spawnCli("prod", "db", "backup", "-m", "first one");
    const r = await child.done;
    sampling = false;
    await sampler;
    await new Promise((res) => setTimeout(res, 200));
    const wr = await w.stop();
    expect(r.code, r.stderr).toBe(0);
    expect(wr.code, wr.stderr).toBe(0);
    expect(wr.stderr).toBe("");

    const dumper = engine === "postgres" ? "pg_dump" : "mysqldump";
    expect(
      samples.some((s) => s.includes(dumper)),
      "the dump was seen running",
    ).toBe(true);
    for (const s of samples) expect(s.includes(server.password)).toBe(false);
    if (engine === "mysql") expect(r.stderr).toMatch(/legacy \(MyISAM\) is not InnoDB/);

    const id = idOf(r);
    const m = meta(p, id);
    expect(m).toMatchObject({ id, db: "main", engine, database: "appdb", reason: "manual", note: "first one", encrypted: false });
    const tName = engine === "postgres" ? "public.t" : "`t`";
    const rows = m.tables[tName].rows as number;
    expect(rows).toBeGreaterThan(100_000); // the writer's rows up to the snapshot are in
    expect(m.tables[engine === "postgres" ? 'public."my table"' : "`my table`"].rows).toBe(3);
    expect(readFileSync(path.join(p.backupDir, m.file)).length).toBe(m.size);

    // modes: dir 0700, files 0600
    expect(statSync(p.backupDir).mode & 0o777).toBe(0o700);
    for (const f of readdirSync(p.backupDir)) expect(statSync(path.join(p.backupDir, f)).mode & 0o777, f).toBe(0o600);

    // consistent: the restored table holds exactly the metadata's rows, ids 1..rows
    const into = `r${seq}_${engine.slice(0, 2)}`;
    let rr = await p.run("prod", "db", "restore", id, "--into", into, "--yes");
    expect(rr.code, rr.stderr).toBe(0);
    expect(count(server, "t", into)).toBe(rows);
    // ...and they are a prefix of the source's rows in commit order (auto-increment may leave gaps on mysql)
    const maxId = Number(server.sql("SELECT MAX(id) FROM t", into).trim());
    expect(Number(server.sql(`SELECT COUNT(*) FROM t WHERE id <= ${maxId}`, server.name).trim())).toBe(rows);
    expect(count(server, "t")).toBeGreaterThan(rows); // the writer went on after the snapshot

    // --into an existing database is refused without --replace
    rr = await p.run("prod", "db", "restore", id, "--into", into, "--yes");
    expect(rr.code).not.toBe(0);
    expect(rr.stderr).toMatch(/exists.*--replace/);

    const v = await p.run("prod", "db", "verify", id);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toMatch(/file sha256 ok/);
    expect(v.stdout).toMatch(/verified/);
    // the scratch database is gone
    const dbs = engine === "postgres" ? server.sql("SELECT datname FROM pg_database") : server.sql("SHOW DATABASES");
    expect(dbs).not.toMatch(/_verify_/);

    // nothing leaks the password: output, the log file, the store
    for (const out of [r.stdout, r.stderr, rr.stdout, rr.stderr, v.stdout, v.stderr]) expect(out.includes(server.password)).toBe(false);
    const state = allBytes(path.join(p.dir, ".slipway"));
    expect(state.length).toBeGreaterThan(0);
    expect(state.includes(Buffer.from(server.password))).toBe(false);

    // db backups lists it; --json gives the metadata
    const l = await p.run("prod", "db", "backups");
    expect(l.code, l.stderr).toBe(0);
    expect(l.stdout).toMatch(/^ID\s+SIZE\s+WHEN\s+BY\s+RELEASE\s+REASON\s+SHA256\s+NOTE/);
    expect(l.stdout).toContain(id);
    expect(l.stdout).toContain(m.sha256.slice(0, 12));
    const j = JSON.parse((await p.run("prod", "db", "backups", "--json")).stdout);
    expect(j).toEqual([m]);
  }, 180_000);

  // MariaDB was flaky right after a restore: run its equality case three times.
  it.each(engine === "mysql" ? [1, 2, 3] : [1])(
    "restore --into equals the source, rows and checksum (run %i); a tampered file fails verify",
    async (n) => {
      const p = project(server);
      const r = await p.run("prod", "db", "backup");
      expect(r.code, r.stderr).toBe(0);
      const id = idOf(r);
      const into = `eq${seq}_${n}`;
      const rr = await p.run("prod", "db", "restore", id, "--into", into, "--yes");
      expect(rr.code, rr.stderr).toBe(0);
      for (const t of ["t", "my table"]) {
        expect(count(server, t, into)).toBe(count(server, t));
        expect(fingerprint(server, t, into)).toBe(fingerprint(server, t));
      }
      if (n > 1) return;
      // tamper one byte in the middle of the stored file
      const file = path.join(p.backupDir, meta(p, id).file);
      const buf = readFileSync(file);
      const at = Math.floor(buf.length / 2);
      buf[at] = buf[at]! ^ 0xff;
      writeFileSync(file, buf);
      const v = await p.run("prod", "db", "verify", id);
      expect(v.code).toBe(1);
      expect(v.stdout).toMatch(/sha256 MISMATCH/);
      expect(v.stdout).toMatch(/VERIFY FAILED/);
    },
    180_000,
  );

  it("restore over the live database needs --yes, takes a before-restore backup, and brings the old contents back", async () => {
    const p = project(server);
    const id = idOf(await p.run("prod", "db", "backup"));
    const before = count(server, "t");
    server.sql("INSERT INTO t (v) VALUES ('after the backup')", server.name);
    let r = await p.run("prod", "db", "restore", id);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/would REPLACE the live .* database appdb/);
    expect(r.stdout).toMatch(/not restored: pass --yes/);
    expect(count(server, "t")).toBe(before + 1);
    r = await p.run("prod", "db", "restore", id, "--yes");
    expect(r.code, r.stderr).toBe(0);
    expect(count(server, "t")).toBe(before);
    const list = JSON.parse((await p.run("prod", "db", "backups", "--json")).stdout) as { reason: string; note: string }[];
    expect(list.map((b) => b.reason)).toEqual(["manual", "before-restore"]);
    expect(list[1]!.note).toBe(`before restoring ${id}`);
  }, 180_000);

  it("encrypt_to: the host cannot gunzip it, restore and verify with --key work, the key text never shows", async () => {
    const keys = tmpdir();
    execFileSync("bash", [
      "-c",
      `cd ${keys} && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out priv.pem 2>/dev/null && openssl pkey -in priv.pem -pubout -out pub.pem`,
    ]);
    const p = project(server, `encrypt_to: ${keys}/pub.pem`);
    const r = await p.run("prod", "db", "backup");
    expect(r.code, r.stderr).toBe(0);
    const id = idOf(r);
    const m = meta(p, id);
    expect(m.encrypted).toBe(true);
    expect(m.file).toBe(`${id}.sql.gz.enc`);
    expect(existsSync(path.join(p.backupDir, `${id}.key.enc`))).toBe(true);
    expect(spawnSync("bash", ["-c", `gzip -dc < ${path.join(p.backupDir, m.file)} > /dev/null`]).status).not.toBe(0);
    expect((await p.run("prod", "db", "verify", id)).stderr).toMatch(/encrypted: pass --key/);
    const v = await p.run("prod", "db", "verify", id, "--key", `${keys}/priv.pem`);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    const into = `enc${seq}`;
    const rr = await p.run("prod", "db", "restore", id, "--into", into, "--key", `${keys}/priv.pem`, "--yes", "-v");
    expect(rr.code, rr.stderr).toBe(0);
    expect(count(server, "t", into)).toBe(count(server, "t"));
    const keyText = readFileSync(`${keys}/priv.pem`, "utf8");
    const keyLine = keyText.split("\n")[1]!;
    for (const out of [r.stdout, r.stderr, v.stdout, v.stderr, rr.stdout, rr.stderr]) expect(out.includes(keyLine)).toBe(false);
    expect(allBytes(path.join(p.dir, ".slipway")).includes(Buffer.from(keyLine))).toBe(false);
    // a wrong key is refused before anything is replaced
    execFileSync("bash", ["-c", `cd ${keys} && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out other.pem 2>/dev/null`]);
    const bad = await p.run("prod", "db", "restore", id, "--into", `${into}x`, "--key", `${keys}/other.pem`, "--yes");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/cannot decrypt the key of backup/);
  }, 180_000);

  it("retention: young backups stay beyond `keep`; old ones beyond the newest `keep` are removed", async () => {
    const p = project(server, "keep: 2, keep_days: 1");
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await p.run("prod", "db", "backup");
      expect(r.code, r.stderr).toBe(0);
      ids.push(idOf(r));
    }
    // all three are younger than a day: kept
    expect(readdirSync(p.backupDir).filter((f) => f.endsWith(".json")).length).toBe(3);
    // age the two oldest by rewriting their createdAt
    for (const id of ids.slice(0, 2)) {
      const f = path.join(p.backupDir, `${id}.json`);
      const m = JSON.parse(readFileSync(f, "utf8"));
      m.createdAt = new Date(Date.now() - 3 * 86_400_000 + ids.indexOf(id) * 1000).toISOString();
      writeFileSync(f, JSON.stringify(m));
    }
    const r = await p.run("prod", "db", "backup");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`removed ${ids[0]}, ${ids[1]}`);
    const left = readdirSync(p.backupDir).filter((f) => f.endsWith(".json"));
    expect(left).toContain(`${ids[2]}.json`);
    expect(left.length).toBe(2);
    expect(existsSync(path.join(p.backupDir, `${ids[0]}.sql.gz`))).toBe(false);
  }, 180_000);

  it("a failing dump (wrong password) names host, command and exit code, and leaves no metadata or partial file", async () => {
    const p = project(server);
    const r = await cliSpawn(["prod", "db", "backup"], { cwd: p.dir, env: { ...fleet.env, DB_PASSWORD: "wrong-password" } }).done;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      engine === "postgres"
        ? /db1: backup failed: `pg_dump appdb \(127\.0\.0\.1:\d+\) \| gzip > .*` exited with 1/
        : /db1: backup failed: `mysqldump --single-transaction appdb .*` exited with 2/,
    );
    expect(r.stderr).toMatch(/password authentication failed|Access denied/);
    expect(existsSync(p.backupDir) ? readdirSync(p.backupDir) : []).toEqual([]);
  }, 60_000);
});
