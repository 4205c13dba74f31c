/** A Database for alters tests (no host I/O). */
import type { Database } from "../../../src/config/resolve.js";

export function fakeDb(engine: "postgres" | "mysql", mysqlDdl = true): Database {
  return {
    key: "main",
    engine,
    role: "db",
    host: { name: "db1" } as Database["host"],
    server: { host: "127.0.0.1", port: 5432 },
    name: "appdb",
    user: "app",
    backups: { dir: "/b", keep: 1, keepDays: 1, beforeMigrate: true, afterMigrate: false },
    alters: { dir: "db/alters", table: "slipway_schema_history" },
    downtime: { mysqlDdl },
  };
}
