/** `state`: where the control machine records runs and their events (this machine's SQLite file, or the team's PostgreSQL). */
import { z } from "zod";

export const STATE_STORES = ["sqlite", "postgres"] as const;
/** The variable that holds the PostgreSQL URL when `url_env` is not given. */
export const DEFAULT_STATE_URL_ENV = "SLIPWAY_STATE_URL";

const storeName = z.enum(STATE_STORES, { error: 'expected "sqlite" or "postgres"' });

export const stateSchema = z
  .union(
    [
      storeName,
      z
        .object({
          store: storeName.describe("`sqlite` (this machine's `.slipway/state.db`) or `postgres` (one database shared by the team)."),
          url_env: z
            .string()
            .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "expected an environment variable name" })
            .default(DEFAULT_STATE_URL_ENV)
            // The URL holds a password, so it is never written in this file: only the variable's name is.
            .describe("postgres: the control machine's environment variable holding the `postgres://user:password@host/db` URL (redacted everywhere)."),
        })
        .strict(),
    ],
    { error: 'expected "sqlite", "postgres" or {store, url_env}' },
  )
  .default("sqlite")
  .describe(
    "The state store: runs and their full event logs (`history --local`). `sqlite` keeps them on this control machine; `postgres` (or `{store: postgres, url_env: VAR}`) shares them across the team's control machines, the URL read from $SLIPWAY_STATE_URL (or VAR). Approvals stay on the primary host either way. `slipway state import` copies a SQLite store into PostgreSQL.",
  );
