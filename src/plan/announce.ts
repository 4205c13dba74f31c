/**
 * Downtime announcements, pure part: wall-clock times in the users' timezone, the listing, and the
 * `announcement` gate (a deploy that needs downtime needs an announcement made at least `hours`
 * before now that covers now).
 */
import { formatUtc, formatWall, parseLocal } from "../config/zoned.js";
import type { Announcement } from "./announce-input.js";
import type { GateResult } from "./preflight.js";

/** `2026-12-01 22:00` read in `tz` → the instant (a time skipped by a DST change lands just after the gap). */
export function parseLocalTime(text: string, tz: string): Date | null {
  const r = parseLocal(text, tz);
  return r && !r.dateOnly ? r.at : null;
}

/** `2026-12-01 22:00 Europe/London` */
export const formatLocal = (d: Date, tz: string): string => `${formatWall(d, tz)} ${tz}`;

const utc = formatUtc;
const end = (a: Announcement) => new Date(Date.parse(a.start) + a.durationMin * 60_000);
const hoursBetween = (a: number, b: number) => Math.round(((b - a) / 3_600_000) * 10) / 10;

export function durationText(min: number): string {
  const h = Math.floor(min / 60);
  const m = min % 60;
  return h && m ? `${h}h${m}m` : h ? `${h}h` : `${m}m`;
}

/** The message sent through notifications: the five facts. */
export function announcementText(a: Announcement, env: string): { text: string; details: Record<string, string> } {
  const start = new Date(a.start);
  const details = {
    id: a.id,
    start: formatLocal(start, a.timezone),
    startUtc: utc(start),
    end: formatLocal(end(a), a.timezone),
    duration: durationText(a.durationMin),
    nature: a.nature,
    affected: a.affected,
    experience: a.experience,
    by: a.by,
  };
  return { text: `planned downtime of ${env}: ${details.start} for ${details.duration}: ${a.nature}`, details };
}

/** `announcements`: newest start first, each with its made time, start–end in tz and UTC, and the facts. */
export function formatAnnouncements(list: Announcement[], tz: string): string {
  if (!list.length) return "no announcements\n";
  return `${[...list]
    .sort((a, b) => Date.parse(b.start) - Date.parse(a.start))
    .map((a) => {
      const s = new Date(a.start);
      const e = end(a);
      return [
        `${a.id}  made ${utc(new Date(a.made))} by ${a.by}`,
        `  when        ${formatLocal(s, tz)} – ${formatLocal(e, tz).split(" ")[1]} (${utc(s)} – ${utc(e).split(" ")[1]} UTC, ${durationText(a.durationMin)})`,
        `  nature      ${a.nature}`,
        `  affected    ${a.affected}`,
        `  experience  ${a.experience}`,
      ].join("\n");
    })
    .join("\n\n")}\n`;
}

/** The `announcement` gate for a deploy that needs downtime. */
export function announcementGate(list: Announcement[], now: Date, hours: number, env: string, tz: string): GateResult {
  const t = now.getTime();
  const needMs = hours * 3_600_000;
  const covering = list.filter((a) => Date.parse(a.start) <= t && t <= end(a).getTime());
  const early = covering.filter((a) => Date.parse(a.made) <= t - needMs);
  const evidence = { now: now.toISOString(), hours, announcements: list.length };
  if (early.length) {
    const a = early.sort((x, y) => Date.parse(x.made) - Date.parse(y.made))[0]!;
    return {
      gate: "announcement",
      ok: true,
      line: `downtime announced by ${a.id}, made ${utc(new Date(a.made))} (${hoursBetween(Date.parse(a.made), t)} h ago, needs ${hours} h), covers ${formatLocal(new Date(a.start), tz)} for ${durationText(a.durationMin)}`,
      evidence: { ...evidence, id: a.id, made: a.made, start: a.start, durationMin: a.durationMin },
    };
  }
  const suggest = formatLocal(new Date(t + needMs + 3_600_000 - (t % 3_600_000)), tz)
    .split(" ")
    .slice(0, 2)
    .join(" ");
  const hint = `announce it at least ${hours} h ahead: slipway ${env} announce --start '${suggest}' --duration 45m --nature "..." --affected "..." --experience "...", and deploy inside it`;
  let line: string;
  if (covering.length) {
    const a = covering.sort((x, y) => Date.parse(x.made) - Date.parse(y.made))[0]!;
    line = `announcement ${a.id} covers now but is too recent: made ${utc(new Date(a.made))} (${hoursBetween(Date.parse(a.made), t)} h before now), needs ${hours} h`;
  } else if (list.length) {
    const next = list.filter((a) => Date.parse(a.start) > t).sort((x, y) => Date.parse(x.start) - Date.parse(y.start))[0];
    line = `this deploy needs downtime and no announcement covers now (${utc(now)})${next ? `; the next one, ${next.id}, starts ${formatLocal(new Date(next.start), tz)}` : ""}`;
  } else line = `this deploy needs downtime and there is no announcement (none made in ${env})`;
  return { gate: "announcement", ok: false, line, evidence, hint };
}
