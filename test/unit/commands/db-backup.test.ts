/** Backup builders: ids and paths checked, the statistics filter run through a real awk, encryption round-tripped through openssl. */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  backupFiles,
  databaseExists,
  dumpDisplay,
  dumpToFile,
  newBackupId,
  removeBackups,
  restoreInto,
  STATS_AWK,
  statsFilter,
  verifyScript,
  writeMeta,
} from "../../../src/commands/db/backup.js";
import type { Database } from "../../../src/config/resolve.js";
import { parseDumpStats } from "../../../src/plan/db-input.js";

const PASSWORD = `p:a\\s's"w$(touch /tmp/pwned)\`;x`;
const db = (over: Partial<Database> = {}): Database =>
  ({
    key: "main",
    engine: "postgres",
    role: "db",
    host: { name: "db1" },
    server: { host: "127.0.0.1", port: 5432 },
    name: "appdb",
    user: "app",
    password: PASSWORD,
    backups: { dir: "~/apps/x/.slipway/backups/main", keep: 10, keepDays: 30, beforeMigrate: true, afterMigrate: false },
    downtime: { mysqlDdl: true },
    ...over,
  }) as Database;

const awk = (engine: string, input: string) => execFileSync("bash", ["-c", statsFilter(engine as "postgres")], { input, encoding: "utf8" });
const sha = (s: string) => execFileSync("bash", ["-c", "LC_ALL=C sort | sha256sum | cut -c1-64"], { input: s, encoding: "utf8" }).trim();

describe("backup ids and files", () => {
  it("ids are UTC time plus 4 hex digits; anything else is refused before it becomes a path", () => {
    expect(newBackupId(new Date("2026-12-02T14:15:00.123Z"), "3f9a")).toBe("20261202-141500-3f9a");
    expect(() => newBackupId(new Date(), "zz;rm")).toThrow(/not a backup id/);
    expect(backupFiles("20261202-141500-3f9a", true)).toEqual({
      data: "20261202-141500-3f9a.sql.gz.enc",
      key: "20261202-141500-3f9a.key.enc",
      meta: "20261202-141500-3f9a.json",
    });
    expect(() => backupFiles("../../etc/passwd", false)).toThrow(/not a backup id/);
    expect(() => removeBackups(db(), ["20261202-141500-3f9a", "x; rm -rf /"])).toThrow(/not a backup id/);
  });
  it("removal names exactly the backup's files, metadata first", () => {
    expect(removeBackups(db(), ["20261202-141500-3f9a"])).toBe(
      `rm -f -- "$HOME"/apps/x/.slipway/backups/main/20261202-141500-3f9a.json "$HOME"/apps/x/.slipway/backups/main/20261202-141500-3f9a.sql.gz "$HOME"/apps/x/.slipway/backups/main/20261202-141500-3f9a.sql.gz.enc "$HOME"/apps/x/.slipway/backups/main/20261202-141500-3f9a.key.enc`,
    );
    expect(removeBackups(db(), [])).toBe("true");
  });
  it("a database name we create or drop must match the schema's pattern", () => {
    expect(() => restoreInto(db(), "20261202-141500-3f9a", "x'; DROP DATABASE appdb; --", { encrypted: false, rand: "abc" })).toThrow(/not a database name/);
    expect(() => databaseExists(db(), "a b")).toThrow(/not a database name/);
  });
});

describe("secrets stay out of command text that could be shown", () => {
  it("the display of a dump names tool, database and file, never the password", () => {
    expect(dumpDisplay(db(), "20261202-141500-3f9a")).toBe(
      "pg_dump appdb (127.0.0.1:5432) | gzip > ~/apps/x/.slipway/backups/main/20261202-141500-3f9a.sql.gz",
    );
    expect(dumpDisplay(db({ engine: "mysql" }), "20261202-141500-3f9a")).toMatch(/^mysqldump --single-transaction appdb/);
  });
  it("the password reaches the pass file through printf only, never a client's argv or environment", () => {
    const sh = dumpToFile(db(), "20261202-141500-3f9a");
    const lines = sh.split("\n").filter((l) => l.includes("touch /tmp/pwned"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^printf '%s' '\*:\*:\*:\*:/);
    expect(sh.split("\n").find((l) => l.includes("pg_dump"))).not.toContain("pwned");
    expect(sh).toContain('PGPASSFILE="$__cred"');
  });
  it("a private key goes into a 0600 work file by printf, never argv", () => {
    const sh = restoreInto(db(), "20261202-141500-3f9a", "appdb", {
      encrypted: true,
      privateKey: "-----BEGIN PRIVATE KEY-----\nSECRETKEY\n-----END PRIVATE KEY-----\n",
      rand: "abc",
    });
    const withKey = sh.split("\n").filter((l) => l.includes("SECRETKEY"));
    expect(withKey).toEqual(["SECRETKEY"]); // the middle line of the quoted printf argument
    expect(sh).toMatch(/printf '%s' '-----BEGIN PRIVATE KEY-----\nSECRETKEY\n-----END PRIVATE KEY-----\n' > "\$__work\/pk"/);
    expect(() => restoreInto(db(), "20261202-141500-3f9a", "appdb", { encrypted: true, rand: "abc" })).toThrow(/private key is required/);
  });
});

describe("statistics filter (real awk)", () => {
  it("postgres: rows and an order-independent checksum per COPY block; quoted names with spaces; empty tables", () => {
    const a =
      'SET x;\nCOPY public."my table" (id, "a (b)") FROM stdin;\n1\tx\n2\ty\n\\.\nCOPY public.e (id) FROM stdin;\n\\.\nCOPY public.t (id) FROM stdin;\n3\n\\.\n';
    const b =
      'COPY public."my table" (id, "a (b)") FROM stdin;\n2\ty\n1\tx\n\\.\nCOPY public.t (id) FROM stdin;\n3\n\\.\nCOPY public.e (id) FROM stdin;\n\\.\n';
    const sa = parseDumpStats(awk("postgres", a).split("\n"));
    expect(sa.problems).toEqual([]);
    expect(sa.tables).toEqual({
      'public."my table"': { rows: 2, checksum: sha("1\tx\n2\ty\n") },
      "public.e": { rows: 0, checksum: sha("") },
      "public.t": { rows: 1, checksum: sha("3\n") },
    });
    expect(parseDumpStats(awk("postgres", b).split("\n")).tables).toEqual(sa.tables);
  });
  it("mysql: one INSERT line per row, grouped by table (backquoted names with spaces)", () => {
    const s = parseDumpStats(
      awk(
        "mysql",
        "/*!40101 SET x */;\nINSERT INTO `a b` VALUES (1,'x y');\nINSERT INTO `a b` VALUES (2,'y');\nLOCK TABLES `c` WRITE;\nINSERT INTO `c` VALUES (1);\n",
      ).split("\n"),
    );
    expect(s.tables["`a b`"]!.rows).toBe(2);
    expect(s.tables["`c`"]).toEqual({ rows: 1, checksum: sha("INSERT INTO `c` VALUES (1);\n") });
  });
  it("is the same program the builders embed", () => {
    expect(statsFilter("mysql")).toContain("sha256sum");
    expect(STATS_AWK).toContain("FROM stdin;");
  });
});

describe("dump and restore pipelines through a real bash (fake clients)", () => {
  it("backup writes a 0600 file in a 0700 dir, prints size, sha and stats; restore and verify read it back", () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "slipway-bk-unit-"));
    const bin = path.join(root, "bin");
    const dump = "COPY public.t (id) FROM stdin;\n1\n2\n\\.\n";
    mkdirSync(bin);
    writeFileSync(path.join(root, "dump.sql"), dump);
    writeFileSync(path.join(bin, "pg_dump"), `#!/bin/bash\n[ -s "$PGPASSFILE" ] || exit 9\ncat ${root}/dump.sql\n`, { mode: 0o755 });
    writeFileSync(path.join(bin, "psql"), `#!/bin/bash\nprintf '%s\\n' "$*" >> ${root}/calls\ncat > /dev/null\n`, { mode: 0o755 });
    const d = db({ backups: { ...db().backups, dir: path.join(root, "backups") } });
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    const run = (sh: string) => spawnSync("bash", ["-c", sh], { env, encoding: "utf8" });
    const id = "20261202-141500-3f9a";
    const r = run(`umask 022; mkdir -p ${d.backups.dir} && chmod 700 ${d.backups.dir}; ( ${dumpToFile(d, id)} )`);
    expect(r.status, r.stderr).toBe(0);
    const st = parseDumpStats(r.stdout.split("\n"));
    expect(st.tables["public.t"]).toEqual({ rows: 2, checksum: sha("1\n2\n") });
    const file = path.join(d.backups.dir, `${id}.sql.gz`);
    expect(st.file!.size).toBe(readFileSync(file).length);
    expect(execFileSync("stat", ["-c", "%a", file], { encoding: "utf8" }).trim()).toBe("600");
    expect(run(`ls -A ${d.backups.dir}`).stdout.trim()).toBe(`${id}.sql.gz`); // no partial file left
    expect(run(writeMeta(d, id, '{"id":"x"}')).status).toBe(0);
    expect(readFileSync(path.join(d.backups.dir, `${id}.json`), "utf8")).toBe('{"id":"x"}\n');
    // verify with a wrong expected sha: prints SHA and stops before any restore
    const v = run(`( ${verifyScript(d, id, { encrypted: false, expectedSha: "0".repeat(64), scratch: "appdb_verify_x" })} )`);
    expect(parseDumpStats(v.stdout.split("\n")).sha256).toBe(st.file!.sha256);
    expect(v.status, v.stderr).toBe(0);
    const calls = readFileSync(path.join(root, "calls"), "utf8");
    expect(calls).not.toContain("CREATE DATABASE");
    expect(calls).toContain('DROP DATABASE IF EXISTS "appdb_verify_x" WITH (FORCE)'); // the exit trap's cleanup
  });
  it("a failing dump exits with its code and leaves no partial file", () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "slipway-bk-unit-"));
    const bin = path.join(root, "bin");
    mkdirSync(bin);
    writeFileSync(path.join(bin, "pg_dump"), `#!/bin/bash\necho "FATAL: password authentication failed" >&2; exit 3\n`, { mode: 0o755 });
    const d = db({ backups: { ...db().backups, dir: path.join(root, "backups") } });
    const r = spawnSync("bash", ["-c", `mkdir -p ${d.backups.dir}; ( ${dumpToFile(d, "20261202-141500-3f9a")} )`], {
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
      encoding: "utf8",
    });
    expect(r.status).toBe(3);
    expect(r.stderr).toContain("password authentication failed");
    expect(execFileSync("ls", ["-A", d.backups.dir], { encoding: "utf8" })).toBe("");
  });
});
