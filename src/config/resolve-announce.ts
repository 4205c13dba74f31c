/** `announce:` of an environment → its timezone and notice period (defaults: UTC, 72 hours). */
export interface AnnounceSettings {
  timezone: string;
  hours: number;
}

export function resolveAnnounce(env: { announce?: { timezone: string; hours: number } }): AnnounceSettings {
  return { timezone: env.announce?.timezone ?? "UTC", hours: env.announce?.hours ?? 72 };
}
