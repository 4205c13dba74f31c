/**
 * The `state` key resolved: which store, and for PostgreSQL the URL from the control machine's
 * environment. The URL carries a password, so every piece of it that could leak is listed for the
 * redactor (stateSecrets) and the variable is the only thing the config ever names.
 */
import { UsageError } from "../errors.js";
import type { RawConfig } from "./schema/index.js";
import { DEFAULT_STATE_URL_ENV } from "./schema/state.js";

export type StateSettings = { store: "sqlite" } | { store: "postgres"; urlEnv: string };

export function stateSettings(raw: Pick<RawConfig, "state">): StateSettings {
  const s = raw.state;
  if (s === "sqlite" || (typeof s === "object" && s.store === "sqlite")) return { store: "sqlite" };
  return { store: "postgres", urlEnv: typeof s === "object" ? s.url_env : DEFAULT_STATE_URL_ENV };
}

/** The PostgreSQL URL; a usage error naming the variable when it is unset (the message never holds the value). */
export function stateUrl(s: Extract<StateSettings, { store: "postgres" }>, readEnv: (k: string) => string | undefined = (k) => process.env[k]): string {
  const url = readEnv(s.urlEnv);
  if (!url)
    throw new UsageError(`state: postgres reads the database URL from $${s.urlEnv}, which is not set (e.g. postgres://user:password@host:5432/slipway)`);
  return url;
}

/** What must never be printed: the URL (as given and as parsed) and its password (raw and percent-decoded). */
export function stateSecrets(raw: Pick<RawConfig, "state">, readEnv: (k: string) => string | undefined = (k) => process.env[k]): string[] {
  const s = stateSettings(raw);
  const url = s.store === "postgres" ? readEnv(s.urlEnv) : undefined;
  return url ? urlSecrets(url) : [];
}

export function urlSecrets(url: string): string[] {
  const out = [url];
  try {
    const u = new URL(url);
    if (u.password) out.push(u.password, safeDecode(u.password), u.href);
  } catch {
    // Not a URL (a libpq "key=value" string): the whole value is still masked.
  }
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
