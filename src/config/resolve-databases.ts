/** `databases:` → typed Database objects: the host that runs the clients, the password, backup rules. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { UsageError } from "../errors.js";
import { META_DIR } from "./paths.js";
import type { EnvironmentSpec } from "./resolve-hosts.js";
import type { Host } from "./resolve.js";
import { rolePrimary } from "./roles.js";
import type { scrubRuleSchema } from "./schema/databases.js";
import type { z } from "zod";

export type ScrubRule = z.infer<typeof scrubRuleSchema>;

export interface Database {
  /** The key under `databases:` (used by `--db`, backup directories and history). */
  key: string;
  engine: "postgres" | "mysql";
  role: string;
  /** The role's primary: runs every client and holds the backups. */
  host: Host;
  server: { host: string; port: number };
  name: string;
  user: string;
  /** The password's value (redacted like every secret); never on a command line. */
  password?: string;
  backups: { dir: string; keep: number; keepDays: number; encryptTo?: string; beforeMigrate: boolean; afterMigrate: boolean };
  alters?: { dir: string; table: string };
  schemaStatus?: string;
  downtime: { mysqlDdl: boolean; command?: string };
  clone?: { scrub: string[]; columns: Record<string, ScrubRule>; check: string[]; stopServices: boolean };
}

export function resolveDatabases(env: EnvironmentSpec, envName: string, appHosts: Host[], secrets: Record<string, string>, configDir: string): Database[] {
  return Object.entries(env.databases ?? {}).map(([key, d]) => {
    const at = `environments.${envName}.databases.${key}`;
    let host: Host;
    try {
      host = rolePrimary(appHosts, d.role);
    } catch (e) {
      throw new UsageError(`${at}.role: ${(e as Error).message}`);
    }
    let password: string | undefined;
    if (d.password_secret) {
      password = secrets[d.password_secret];
      if (password === undefined)
        throw new UsageError(`${at}.password_secret: ${d.password_secret} is not in secret_env (set on this machine) or the secrets file`);
    }
    let encryptTo: string | undefined;
    if (d.backups.encrypt_to) {
      const file = path.resolve(configDir, d.backups.encrypt_to);
      try {
        encryptTo = readFileSync(file, "utf8");
      } catch (e) {
        throw new UsageError(`${at}.backups.encrypt_to: cannot read ${file}: ${(e as Error).message}`);
      }
      if (!/-----BEGIN (RSA )?PUBLIC KEY-----/.test(encryptTo)) throw new UsageError(`${at}.backups.encrypt_to: ${file} is not a PEM public key`);
    }
    return Object.freeze({
      key,
      engine: d.engine,
      role: d.role,
      host,
      server: { host: d.host, port: d.port ?? (d.engine === "postgres" ? 5432 : 3306) },
      name: d.name,
      user: d.user,
      password,
      backups: {
        dir: d.backups.dir ?? path.posix.join(host.deployTo, META_DIR, "backups", key),
        keep: d.backups.keep,
        keepDays: d.backups.keep_days,
        encryptTo,
        beforeMigrate: d.backups.before_migrate,
        afterMigrate: d.backups.after_migrate,
      },
      alters: d.alters,
      schemaStatus: d.schema_status,
      downtime: { mysqlDdl: d.downtime.mysql_ddl, command: d.downtime.command },
      clone: d.clone && { scrub: d.clone.scrub, columns: d.clone.columns, check: d.clone.check, stopServices: d.clone.stop_services },
    } satisfies Database);
  });
}
