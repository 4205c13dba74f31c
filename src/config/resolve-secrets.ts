/** Secrets from the control machine: secret_env, the encrypted secrets file and notification credentials. */
import path from "node:path";
import { UsageError } from "../errors.js";
import type { LoadedConfig } from "./load.js";
import type { EnvironmentSpec } from "./resolve-hosts.js";
import type { NotifySettings } from "./resolve.js";
import type { RawConfig } from "./schema/index.js";
import { loadSecretsFile, readKey } from "./secrets.js";

/** What `resolveSecrets` reads: values exported to commands, values only redacted, and notify settings. */
export interface ResolvedSecrets {
  secrets: Record<string, string>;
  redact: string[];
  notify: NotifySettings;
}

/** Reads every secret the environment names; all missing ones are reported in one UsageError. */
export function resolveSecrets(loaded: LoadedConfig, cfg: RawConfig, env: EnvironmentSpec, readEnv: (k: string) => string | undefined): ResolvedSecrets {
  const raw = loaded.raw;
  const secretNames = [...new Set([...cfg.secret_env, ...(env.secret_env ?? [])])];
  const secrets: Record<string, string> = {};
  const missing: string[] = [];
  for (const n of secretNames) {
    const v = readEnv(n);
    if (v === undefined) missing.push(n);
    else secrets[n] = v;
  }
  const redact: string[] = [];
  const secretsFile = env.secrets_file ?? raw.secrets_file;
  if (secretsFile) {
    // Encrypted secrets behave like secret_env: exported to commands, usable in templates, redacted.
    const fromFile = loadSecretsFile(path.resolve(loaded.dir, secretsFile), readKey(raw.secrets_key_file, loaded.dir, readEnv));
    for (const [k, v] of Object.entries(fromFile)) if (!(k in secrets)) secrets[k] = v;
  }
  const notifyRaw = env.notify ?? cfg.notify;
  const fromEnv = (name: string, what: string) => {
    const v = readEnv(name);
    if (v === undefined) missing.push(`${name} (${what})`);
    else redact.push(v); // redacted like every secret, but not exported to commands
    return v ?? "";
  };
  const notify: NotifySettings = {
    webhooks: notifyRaw.webhooks.map((w) => ({ url: w.url_env ? fromEnv(w.url_env, "notify webhook url_env") : (w.url ?? ""), events: w.events })),
    email: notifyRaw.email && {
      ...notifyRaw.email.smtp,
      password: notifyRaw.email.smtp.password_env ? fromEnv(notifyRaw.email.smtp.password_env, "notify smtp password_env") : undefined,
      from: notifyRaw.email.from,
      to: notifyRaw.email.to,
      events: notifyRaw.email.events,
    },
  };
  if (missing.length) throw new UsageError(`secret_env: ${missing.join(", ")} not set in the environment of this control machine`);
  return { secrets, redact, notify };
}
