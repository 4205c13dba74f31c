/**
 * Scheduled deploys' time arithmetic, pure: the next slot of a cron read in its IANA timezone
 * (croner, DST-aware as the deploy windows are), the slots that passed between two instants (what
 * a server that was down missed), and a slot's name as a directory on the hosts.
 */
import { Cron } from "croner";

const crons = new Map<string, Cron>();
function cronOf(cron: string, timezone: string): Cron {
  const key = `${timezone} ${cron}`;
  let c = crons.get(key);
  if (!c) {
    c = new Cron(cron, { timezone, paused: true });
    crons.set(key, c);
  }
  return c;
}

/** The first slot strictly after `after`, or null when the cron never fires again. */
export function nextSlot(cron: string, timezone: string, after: Date): Date | null {
  return cronOf(cron, timezone).nextRun(after);
}

/** Slots in (after, until], oldest first, at most `max` of them (the newest `max` when more passed). */
export function slotsBetween(cron: string, timezone: string, after: Date, until: Date, max = 20): Date[] {
  const out: Date[] = [];
  let t: Date | null = after;
  // A minute cron over a month is 43,200 slots: walk them all (cheap) but keep only the newest.
  for (let i = 0; i < 1_000_000; i++) {
    t = nextSlot(cron, timezone, t);
    if (!t || t > until) break;
    out.push(t);
    if (out.length > max) out.shift();
  }
  return out;
}

/** `2026-12-08T09:00:00.000Z` → `20261208T090000Z` (a slot is on a whole second: cron has no smaller unit). */
export function slotId(slot: Date): string {
  return slot
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z")
    .replace(/[-:]/g, "");
}
