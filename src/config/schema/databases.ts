/** `environments.<env>.databases`: the databases Slipway backs up, alters, clones and scrubs. */
import { z } from "zod";
import { name, port } from "./common.js";

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A per-column scrub rule: what the column holds after a QA clone. */
export const scrubRuleSchema = z
  .union([z.enum(["email", "phone", "null", "name"]), z.object({ set: z.string().describe("A literal value every row gets (e.g. a test API key).") }).strict()])
  .describe(
    "`email`: a unique fake address at example.invalid; `phone`: a fixed test number; `name`: a fake name; `null`: NULL; `{set: value}`: that literal value.",
  );

export const databaseSchema = z
  .object({
    engine: z.enum(["postgres", "mysql"]).describe("`postgres` (PostgreSQL) or `mysql` (MySQL and MariaDB)."),
    role: name("role")
      .default("db")
      .describe("The role whose primary host runs the clients (pg_dump, psql, mysqldump, mysql); dumps are written on that host."),
    host: z.string().min(1).default("127.0.0.1").describe("Address of the database server, as seen from that host."),
    port: port.optional().describe("Server port (default 5432 for postgres, 3306 for mysql)."),
    name: z
      .string()
      .regex(/^[A-Za-z0-9_][A-Za-z0-9_$-]*$/, { error: "expected a database name (letters, digits, _, $, -)" })
      .describe("Database name."),
    user: z.string().min(1).describe("Database user."),
    password_secret: z
      .string()
      .regex(ENV_NAME, { error: "expected an environment variable name" })
      .optional()
      .describe(
        "Name of the secret (from `secret_env` or the encrypted secrets file) holding the password. It reaches the host inside the script on stdin and is written to a 0600 pass file (PGPASSFILE / --defaults-extra-file) removed afterwards: never a command line, never the environment of a client.",
      ),
    backups: z
      .object({
        dir: z.string().min(1).optional().describe("Directory on the database host (default: <deploy_to>/.slipway/backups/<database key>); created 0700."),
        keep: z.number().int().min(1).default(10).describe("Keep at least this many newest backups."),
        keep_days: z.number().int().min(1).default(30).describe("Backups younger than this many days are kept too; older ones beyond `keep` are removed."),
        encrypt_to: z
          .string()
          .min(1)
          .optional()
          .describe(
            "PEM RSA public key on the control machine: backups are encrypted to it (AES-256 with a key wrapped by RSA-OAEP), so the database host cannot read them back; `db restore --key` takes the private key.",
          ),
        before_migrate: z.boolean().default(true).describe("A deploy with migrations or pending alters takes a backup right before `migrate`."),
        after_migrate: z.boolean().default(false).describe("…and another right after it."),
      })
      .strict()
      .default({ keep: 10, keep_days: 30, before_migrate: true, after_migrate: false })
      .describe("Where backups go and how long they are kept."),
    alters: z
      .object({
        dir: z.string().min(1).describe("Directory of ordered SQL files in the repository (e.g. db/alters), applied by Slipway at deploy."),
        table: z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "expected a table name" })
          .default("slipway_schema_history")
          .describe("Schema history table in the target database."),
      })
      .strict()
      .optional()
      .describe("Tracked SQL alters: only pending files run; a changed applied file stops the deploy."),
    schema_status: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Command run in the release on the migrate host whose output hash is recorded with each release (e.g. `python manage.py showmigrations`); rollback compares it.",
      ),
    downtime: z
      .object({
        mysql_ddl: z.boolean().default(true).describe("On mysql, any DDL in a pending alter means the deploy needs downtime."),
        command: z
          .string()
          .min(1)
          .optional()
          .describe(
            "Classifier run on the control machine, in the config directory, before planning, with SLIPWAY_COMMIT and SLIPWAY_PREVIOUS_COMMIT set (e.g. `git diff --quiet $SLIPWAY_PREVIOUS_COMMIT $SLIPWAY_COMMIT -- '*/migrations/*' || exit 3`): exit 3 means `needs downtime`, 0 `zero-downtime`, anything else stops the deploy.",
          ),
      })
      .strict()
      .default({ mysql_ddl: true })
      .describe("How a deploy's pending alters and migrations are classified."),
    clone: z
      .object({
        scrub: z.array(z.string().min(1)).default([]).describe("SQL statements run on the clone after the restore (e.g. `DELETE FROM sessions`)."),
        columns: z
          .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$/, { error: "expected table.column" }), scrubRuleSchema)
          .default({})
          .describe("Per-column rules, keyed `table.column`."),
        check: z
          .array(z.string().min(1))
          .default([])
          .describe("Queries that must return no rows after scrubbing (e.g. `SELECT email FROM users WHERE email NOT LIKE '%@example.invalid'`)."),
        stop_services: z.boolean().default(true).describe("Stop this environment's services during the clone and start them after the checks pass."),
      })
      .strict()
      .optional()
      .describe("`slipway <this env> db clone --from <env>`: restore another environment's backup here, then scrub and check before services start."),
  })
  .strict();

export const databasesSchema = z
  .record(name("database"), databaseSchema)
  .optional()
  .describe("Databases of this environment: `db backup`, `db restore`, tracked alters, backups before migrations, QA clones.");
