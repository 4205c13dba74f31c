/** Open the configured state store; each implementation is loaded only when used (`pg` only for postgres). */
import path from "node:path";
import type { LoadedConfig } from "../config/load.js";
import { stateSettings, stateUrl } from "../config/state.js";
import type { StateStore } from "./store.js";

/** The store `state` names: `<stateDir>/state.db`, or PostgreSQL at the URL in its variable (a usage error when unset). */
export async function openStateStore(loaded: LoadedConfig, stateDir: string): Promise<StateStore> {
  const s = stateSettings(loaded.raw);
  if (s.store === "postgres") {
    const url = stateUrl(s);
    const { PgStore } = await import("./postgres.js");
    return new PgStore(url, loaded.raw.app);
  }
  const { SqliteStore } = await import("./sqlite.js");
  return new SqliteStore(path.join(stateDir, "state.db"));
}
