/**
 * The `chat` key resolved for `slipway serve`: the Slack signing secret from the server's
 * environment (the config names only the variable) and who may do what. The secret is listed for
 * the redactor (chatSecrets) so no output of the server or of a CLI it starts can show it.
 */
import { UsageError } from "../errors.js";
import type { RawConfig } from "./schema/index.js";

export type ChatRole = "deployer" | "viewer";

export interface SlackSettings {
  secretEnv: string;
  secret: string;
  /** By Slack user id. */
  users: Readonly<Record<string, ChatRole>>;
  /** Only this workspace's requests are accepted (unset: any workspace the app is installed in). */
  teamId?: string;
}

/** Slack's settings, or null when `chat.slack` is not configured; a usage error naming the variable when it is unset. */
export function slackSettings(raw: Pick<RawConfig, "chat">, readEnv: (k: string) => string | undefined = (k) => process.env[k]): SlackSettings | null {
  const s = raw.chat?.slack;
  if (!s) return null;
  const secret = readEnv(s.signing_secret_env);
  if (!secret)
    throw new UsageError(
      `chat.slack: the signing secret is read from $${s.signing_secret_env}, which is not set (the Slack app's Basic Information page shows it)`,
    );
  return Object.freeze({ secretEnv: s.signing_secret_env, secret, users: Object.freeze({ ...s.users }), ...(s.team_id ? { teamId: s.team_id } : {}) });
}

/** What must never be printed: the signing secret, when configured and set. */
export function chatSecrets(raw: Pick<RawConfig, "chat">, readEnv: (k: string) => string | undefined = (k) => process.env[k]): string[] {
  const name = raw.chat?.slack?.signing_secret_env;
  const v = name ? readEnv(name) : undefined;
  return v ? [v] : [];
}
