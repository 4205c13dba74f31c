/** Fan events out to sinks, stamping time and redacting secrets first. */
import type { EventSink, SlipwayEvent, Timed } from "./types.js";
import { redactDeep, type Redactor } from "./redact.js";

export class EventBus {
  private sinks: EventSink[] = [];
  constructor(private redact: Redactor = (t) => t) {}

  add(sink: EventSink): this {
    this.sinks.push(sink);
    return this;
  }

  setRedactor(r: Redactor): void {
    this.redact = r;
  }

  emit(e: SlipwayEvent): void {
    const timed = redactDeep({ ...e, ts: new Date().toISOString() }, this.redact) as Timed<SlipwayEvent>;
    for (const s of this.sinks) s.handle(timed);
  }

  info(message: string, host?: string): void {
    this.emit({ type: "info", message, host });
  }

  warn(message: string, host?: string): void {
    this.emit({ type: "warn", message, host });
  }

  async close(): Promise<void> {
    for (const s of this.sinks) await s.close?.();
  }
}
