/** `announce:` of an environment → its timezone and notice period (defaults: UTC, 72 hours). */
export interface AnnounceSettings {
  timezone: string;
  hours: number;
  /** The `announcement` gate applies only where `announce:` is configured (existing downtime deploys keep working). */
  gate: boolean;
}

export function resolveAnnounce(env: { announce?: { timezone: string; hours: number } }): AnnounceSettings {
  return { timezone: env.announce?.timezone ?? "UTC", hours: env.announce?.hours ?? 72, gate: env.announce !== undefined };
}
