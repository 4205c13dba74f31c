/**
 * Throwaway PostgreSQL and MariaDB servers for the database tests (../shared/TEST-INFRA.md):
 * each in its own temp directory on a free loopback port, with an application user that has a
 * password (so the tests exercise the pass files), stopped by `stop()`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { IS_ROOT, freePort } from "./fleet.js";

const PG_BIN = ["/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin"].find((d) => existsSync(`${d}/initdb`));
const MARIADBD = ["/usr/sbin/mariadbd", "/usr/sbin/mysqld"].find((p) => existsSync(p));
const have = (c: string) => spawnSync("bash", ["-c", `command -v ${c}`], { stdio: "ignore" }).status === 0;
export const HAVE_POSTGRES = Boolean(PG_BIN) && have("pg_dump") && have("psql");
export const HAVE_MARIADB = Boolean(MARIADBD) && have("mysqldump") && have("mysql") && have("mariadb-install-db");
/** On CI a missing database server fails the suite, never skips it. */
export const SKIP_DB = !(HAVE_POSTGRES && HAVE_MARIADB) && process.env.CI !== "true";
if (SKIP_DB) console.warn("SKIPPING database tests: needs postgresql, mariadb-server, mariadb-client (apt-get install ...); CI=true makes this a failure");

export type Engine = "postgres" | "mysql";

export interface DbServer {
  engine: Engine;
  port: number;
  /** Application database and user (the user owns the database and has a password). */
  name: string;
  user: string;
  password: string;
  /** Run SQL as the superuser on the socket; returns tab-separated rows. */
  sql(sql: string, db?: string): string;
  stop(): void;
}

const sh = (cmd: string, asUser?: string) =>
  execFileSync(asUser && IS_ROOT ? "su" : "bash", asUser && IS_ROOT ? [asUser, "-s", "/bin/bash", "-c", cmd] : ["-c", cmd], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });

/** A password with characters that break naive quoting in pass files and shells. */
export const HOSTILE_PASSWORD = `p:a\\s's"w$(touch /tmp/pwned)\`;x`;

/** A PostgreSQL server the tests can also stop, start and restart in place (outage tests). */
export interface PgServer extends DbServer {
  /** pg_ctl stop (-m fast), start, or restart (-m fast), waiting for each to finish. */
  ctl(action: "stop" | "start" | "restart"): void;
}

export async function startPostgres(password = HOSTILE_PASSWORD): Promise<PgServer> {
  if (!PG_BIN) throw new Error("PostgreSQL server binaries are required (apt-get install postgresql)");
  const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-pg-"));
  chmodSync(dir, 0o777);
  const u = IS_ROOT ? "postgres" : undefined;
  sh(`${PG_BIN}/initdb -D ${dir}/data -A trust --auth-host=scram-sha-256 -U postgres --no-sync >/dev/null`, u);
  // The free port can be taken by another suite between freePort() and the server's bind: try again on another.
  let port = 0;
  const pgctl = (action: string) =>
    sh(
      `${PG_BIN}/pg_ctl -D ${dir}/data -l ${dir}/log -m fast -o "-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" -w ${action} >/dev/null`,
      u,
    );
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      pgctl("start");
      break;
    } catch (e) {
      if (attempt >= 3)
        throw new Error(`PostgreSQL did not start: ${(e as Error).message}\n${spawnSync("tail", ["-n", "20", `${dir}/log`], { encoding: "utf8" }).stdout}`);
    }
  }
  const sql = (q: string, db = "postgres") =>
    execFileSync("psql", ["-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-h", dir, "-p", String(port), "-U", "postgres", "-d", db], {
      input: q,
      encoding: "utf8",
    });
  const lit = password.replace(/'/g, "''");
  sql(`CREATE ROLE app LOGIN CREATEDB PASSWORD '${lit}'; CREATE DATABASE appdb OWNER app;`);
  return {
    engine: "postgres",
    port,
    name: "appdb",
    user: "app",
    password,
    sql,
    ctl: (action) => void pgctl(action),
    stop() {
      spawnSync(
        "bash",
        [
          "-c",
          IS_ROOT
            ? `su postgres -s /bin/bash -c '${PG_BIN}/pg_ctl -D ${dir}/data -m immediate -w stop'`
            : `${PG_BIN}/pg_ctl -D ${dir}/data -m immediate -w stop`,
        ],
        {
          stdio: "ignore",
        },
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startMariadb(password = HOSTILE_PASSWORD): Promise<DbServer> {
  if (!MARIADBD) throw new Error("MariaDB server is required (apt-get install mariadb-server mariadb-client)");
  const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-my-"));
  chmodSync(dir, 0o777);
  const port = await freePort();
  const userArg = IS_ROOT ? "--user=mysql" : "";
  sh(`mariadb-install-db --no-defaults ${userArg} --datadir=${dir}/data --skip-test-db --auth-root-authentication-method=socket >/dev/null 2>&1`);
  const args = [
    "--no-defaults",
    `--datadir=${dir}/data`,
    `--socket=${dir}/sock`,
    `--pid-file=${dir}/pid`,
    `--port=${port}`,
    "--bind-address=127.0.0.1",
    `--log-error=${dir}/err`,
    "--skip-log-bin",
    "--innodb-flush-log-at-trx-commit=0",
    "--innodb-doublewrite=0",
    "--skip-name-resolve",
    ...(IS_ROOT ? ["--user=mysql"] : []),
  ];
  sh(`nohup ${MARIADBD} ${args.join(" ")} >/dev/null 2>&1 &`);
  const t0 = Date.now();
  while (spawnSync("mariadb-admin", ["-S", `${dir}/sock`, "-u", "root", "ping"], { stdio: "ignore" }).status !== 0) {
    if (Date.now() - t0 > 30_000) throw new Error(`MariaDB did not start: ${spawnSync("cat", [`${dir}/err.err`, `${dir}/err`], { encoding: "utf8" }).stdout}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const sql = (q: string, db = "") =>
    execFileSync("mysql", ["--no-defaults", "-S", `${dir}/sock`, "-u", "root", "--batch", "--skip-column-names", ...(db ? [db] : [])], {
      input: q,
      encoding: "utf8",
    });
  const lit = password.replace(/\\/g, "\\\\").replace(/'/g, "''");
  // The app user creates scratch and clone databases (db verify, db clone), as a deploy user would be allowed to.
  sql(`CREATE DATABASE appdb; CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY '${lit}'; GRANT ALL ON *.* TO 'app'@'127.0.0.1'; FLUSH PRIVILEGES;`);
  return {
    engine: "mysql",
    port,
    name: "appdb",
    user: "app",
    password,
    sql,
    stop() {
      spawnSync("mariadb-admin", ["-S", `${dir}/sock`, "-u", "root", "shutdown"], { stdio: "ignore" });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function startDb(engine: Engine, password?: string): Promise<DbServer> {
  return engine === "postgres" ? startPostgres(password) : startMariadb(password);
}
