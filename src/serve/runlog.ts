/**
 * A recorded run as the lines a person reads: the plain renderer's verbose lines (what `-v` prints),
 * so the dashboard's live log says exactly what a terminal would. Events were redacted when they
 * were recorded; a line that does not parse as an event is shown as unreadable, never thrown.
 */
import type { SlipwayEvent, Timed } from "../events/types.js";
import { formatPlain } from "../render/plain.js";
import type { StoredEvent } from "../store/store.js";

export interface LogLine {
  seq: number;
  text: string;
}

export function logLines(events: readonly StoredEvent[]): LogLine[] {
  const out: LogLine[] = [];
  for (const e of events) {
    let ev: Timed<SlipwayEvent>;
    try {
      ev = (typeof e.json === "string" ? JSON.parse(e.json) : e.json) as Timed<SlipwayEvent>;
    } catch {
      out.push({ seq: e.seq, text: `(event ${e.seq} is not readable JSON)` });
      continue;
    }
    const text = ev && typeof ev === "object" && typeof ev.type === "string" ? formatPlain(ev, true) : null;
    if (text !== null) out.push({ seq: e.seq, text: `${String(ev.ts ?? e.ts).slice(11, 19)} ${text}` });
  }
  return out;
}
