/** `windows:` → rules with their timezone applied: cron rules keep the expression, dated rules become instants. */
import { UsageError } from "../errors.js";
import type { EnvironmentSpec } from "./resolve-hosts.js";
import { spanMs } from "./schema/windows.js";
import { parseLocal } from "./zoned.js";

export type WindowRule =
  | { kind: "cron"; name: string; cron: string; durationMs: number; duration: string; timezone: string; reason?: string }
  | { kind: "dates"; name: string; from: Date; until: Date; timezone: string; reason?: string; text: string };

export interface WindowRules {
  allow: WindowRule[];
  deny: WindowRule[];
}

export interface Windows extends WindowRules {
  timezone: string;
  downtime: WindowRules;
}

type RawRule = {
  cron?: string;
  duration?: string;
  from?: string;
  until?: string;
  name?: string;
  timezone?: string;
  reason?: string;
};

function resolveRule(r: RawRule, tz: string, at: string): WindowRule {
  const timezone = r.timezone ?? tz;
  const extra = r.reason ? { reason: r.reason } : {};
  if (r.cron !== undefined)
    return {
      kind: "cron",
      name: r.name ?? `${r.cron} for ${r.duration}`,
      cron: r.cron,
      durationMs: spanMs(r.duration!)!,
      duration: r.duration!,
      timezone,
      ...extra,
    };
  const from = parseLocal(r.from!, timezone)!.at;
  let until: Date;
  if (r.until !== undefined) {
    const u = parseLocal(r.until, timezone)!;
    // A date alone is the whole day: the end is the next day's midnight.
    until = u.dateOnly ? parseLocal(nextDay(r.until), timezone)!.at : u.at;
  } else until = new Date(from.getTime() + spanMs(r.duration!)!);
  if (until <= from) throw new UsageError(`${at}: \`until\` (${r.until}) must be after \`from\` (${r.from})`);
  const text = `${r.from} → ${r.until ?? `+${r.duration}`}`;
  return { kind: "dates", name: r.name ?? text, from, until, timezone, text, ...extra };
}

function nextDay(date: string): string {
  const d = new Date(`${date.trim()}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

export function resolveWindows(env: EnvironmentSpec, envName: string): Windows | undefined {
  const w = env.windows;
  if (!w) return undefined;
  const at = `environments.${envName}.windows`;
  const list = (rules: RawRule[], where: string) => rules.map((r, i) => resolveRule(r, w.timezone, `${at}.${where}[${i}]`));
  return {
    timezone: w.timezone,
    allow: list(w.allow, "allow"),
    deny: list(w.deny, "deny"),
    downtime: { allow: list(w.downtime.allow, "downtime.allow"), deny: list(w.downtime.deny, "downtime.deny") },
  };
}
