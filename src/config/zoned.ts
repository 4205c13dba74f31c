/**
 * Wall-clock time in a named IANA timezone, without a library: validate a zone, turn a local
 * `YYYY-MM-DD[ HH:MM]` into an instant (a time skipped by a spring-forward change moves past the gap,
 * an ambiguous fall-back time takes its first occurrence), and print an instant in a zone with its offset.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();
function fmt(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(tz, f);
  }
  return f;
}

/** Whether `tz` is an IANA timezone this Node knows (e.g. Europe/Berlin, America/New_York, UTC). */
export function validTimezone(tz: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+/-]*$/.test(tz)) return false;
  try {
    fmt(tz);
    return true;
  } catch {
    return false;
  }
}

interface Wall {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
}

function wall(t: number, tz: string): Wall {
  const p: Record<string, number> = {};
  for (const part of fmt(tz).formatToParts(new Date(t))) if (part.type !== "literal") p[part.type] = Number(part.value);
  return { y: p.year!, mo: p.month!, d: p.day!, h: p.hour!, mi: p.minute!, s: p.second! };
}

/** The zone's offset from UTC at instant `t`, in milliseconds (east positive). */
export function offsetAt(t: number, tz: string): number {
  const w = wall(t, tz);
  return Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s) - Math.floor(t / 1000) * 1000;
}

/** The instant a local wall time in `tz` names. */
export function zonedToUtc(y: number, mo: number, d: number, h: number, mi: number, tz: string): Date {
  const naive = Date.UTC(y, mo - 1, d, h, mi);
  // Try both offsets around the time (before and after any change that day); keep the first that round-trips.
  const offsets = [...new Set([offsetAt(naive - 86_400_000, tz), offsetAt(naive + 86_400_000, tz), offsetAt(naive, tz)])];
  const fits = offsets.map((o) => naive - o).filter((t) => offsetAt(t, tz) === naive - t);
  if (fits.length) return new Date(Math.min(...fits));
  // In a spring-forward gap: the same wall time read with the offset before the change lands just after it.
  return new Date(naive - Math.min(...offsets));
}

const LOCAL = /^(\d{4})-(\d\d)-(\d\d)(?:[ T](\d\d):(\d\d))?$/;

/** `2026-12-20` or `2026-12-20 18:00` in `tz` → the instant, or null when it is not such a date. */
export function parseLocal(text: string, tz: string): { at: Date; dateOnly: boolean } | null {
  const m = LOCAL.exec(text.trim());
  if (!m) return null;
  const [y, mo, d, h, mi] = [m[1], m[2], m[3], m[4] ?? "0", m[5] ?? "0"].map(Number) as [number, number, number, number, number];
  const probe = new Date(Date.UTC(y, mo - 1, d));
  if (probe.getUTCMonth() !== mo - 1 || probe.getUTCDate() !== d || h > 23 || mi > 59) return null;
  return { at: zonedToUtc(y, mo, d, h, mi, tz), dateOnly: m[4] === undefined };
}

const pad = (n: number) => String(n).padStart(2, "0");

/** `2026-03-29 03:00 Europe/Berlin (UTC+02:00)`. */
export function formatZoned(at: Date, tz: string): string {
  const w = wall(at.getTime(), tz);
  const off = offsetAt(at.getTime(), tz) / 60_000;
  const sign = off < 0 ? "-" : "+";
  const abs = Math.abs(off);
  return `${w.y}-${pad(w.mo)}-${pad(w.d)} ${pad(w.h)}:${pad(w.mi)} ${tz} (UTC${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)})`;
}

/** `2026-03-29 03:00`: the wall clock in `tz`, without the zone. */
export function formatWall(at: Date, tz: string): string {
  const w = wall(at.getTime(), tz);
  return `${w.y}-${pad(w.mo)}-${pad(w.d)} ${pad(w.h)}:${pad(w.mi)}`;
}

/** `2026-03-29 01:00 UTC`. */
export function formatUtc(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}
