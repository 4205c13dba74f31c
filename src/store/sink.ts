/**
 * Records a run's events and outcome in a state store as they stream by, without ever holding up
 * the run: `handle` (synchronous, from the event bus) only buffers; one write loop drains the
 * buffer in order, in batches, so two flushes never overlap and interleave. When the store is
 * away (a PostgreSQL restart) the loop retries with backoff while the buffer grows; `drain` at the
 * end waits a bounded time and reports what could not be written.
 */
import type { EventSink, SlipwayEvent, Timed } from "../events/types.js";
import type { NewRun, RunFields, StateStore, StoredEvent } from "./store.js";

const BATCH = 500;
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 2000;

/** What `drain` could not write before its deadline. */
export interface Unrecorded {
  /** False when not even the run's row exists in the store. */
  runRecorded: boolean;
  events: number;
  totalEvents: number;
  /** The outcome the run row is missing ("ok", "failed"), or null when it was written (or never known). */
  outcome: string | null;
  error: string;
}

export class StoreSink implements EventSink {
  private runId: number | null = null;
  private queue: StoredEvent[] = [];
  private fields: RunFields = {};
  private seq = 0;
  private loop: Promise<void> | null = null;
  private stopped = false;
  private lastError: unknown = null;
  private wakeUp: (() => void) | null = null;
  /** Waiters of `settled`, told after every write attempt. */
  private waiters = new Set<() => void>();

  constructor(
    private store: StateStore,
    private run: NewRun,
  ) {}

  handle(e: Timed<SlipwayEvent>): void {
    if (this.stopped) return;
    this.queue.push({ seq: ++this.seq, ts: e.ts, json: JSON.stringify(e) });
    if (e.type === "run:start") Object.assign(this.fields, { releaseId: e.releaseId ?? null, commit: e.commit ?? null });
    if (e.type === "run:end") Object.assign(this.fields, { finishedAt: e.ts, outcome: e.ok ? "ok" : "failed", durationMs: e.durationMs });
    this.kick();
  }

  /**
   * Create the run's row now, waiting at most `ms`. Returns the error if that failed (the loop keeps
   * trying); a StoreRefusedError is thrown, as the run must not start.
   */
  async start(ms: number): Promise<unknown> {
    this.kick();
    await this.settled(ms, () => this.runId !== null || this.lastError !== null);
    if (this.runId !== null) return null;
    return this.lastError ?? new Error(`no answer within ${Math.round(ms / 1000)} s`);
  }

  /** Wait up to `ms` for everything to be written, then stop; null when all of it was. */
  async drain(ms: number): Promise<Unrecorded | null> {
    this.kick();
    await this.settled(ms, () => !this.loop && !this.hasWork());
    const left = this.hasWork();
    this.stopped = true;
    this.wakeUp?.();
    if (!left) return null;
    return {
      runRecorded: this.runId !== null,
      events: this.queue.length,
      totalEvents: this.seq,
      outcome: this.fields.outcome ?? null,
      error: this.lastError instanceof Error ? this.lastError.message : String(this.lastError ?? "timed out"),
    };
  }

  private hasWork(): boolean {
    return this.runId === null || this.queue.length > 0 || Object.keys(this.fields).length > 0;
  }

  /** Start the write loop unless it runs; only one ever runs, so batches go out strictly in order. */
  private kick(): void {
    if (this.loop || this.stopped) return;
    this.loop = this.writeLoop().finally(() => {
      this.loop = null;
      // Events that arrived between the loop's last check and its end.
      if (this.hasWork()) this.kick();
      this.notify();
    });
  }

  private async writeLoop(): Promise<void> {
    let delay = RETRY_FIRST_MS;
    // One macrotask first: events emitted together in this tick go out in one batch.
    await new Promise((r) => setImmediate(r));
    while (!this.stopped && this.hasWork()) {
      try {
        await this.step();
        this.lastError = null;
        delay = RETRY_FIRST_MS;
        this.notify();
      } catch (e) {
        this.lastError = e;
        this.notify();
        await new Promise<void>((r) => {
          const t = setTimeout(r, delay);
          this.wakeUp = () => {
            clearTimeout(t);
            r();
          };
        });
        this.wakeUp = null;
        delay = Math.min(delay * 2, RETRY_MAX_MS);
      }
    }
  }

  /** One write: the run's row first, then events oldest first, then the row's fields (so a row with an outcome has all its events). */
  private async step(): Promise<void> {
    if (this.runId === null) {
      this.runId = await this.store.beginRun(this.run);
      return;
    }
    const batch = this.queue.slice(0, BATCH);
    if (batch.length) {
      await this.store.appendEvents(this.runId, batch);
      this.queue.splice(0, batch.length);
      return;
    }
    const fields = this.fields;
    this.fields = {};
    try {
      await this.store.updateRun(this.runId, fields);
    } catch (e) {
      this.fields = { ...fields, ...this.fields };
      throw e;
    }
  }

  private notify(): void {
    for (const w of this.waiters) w();
  }

  /** Resolve when `done()` holds (checked after each write attempt), or after `ms`. */
  private async settled(ms: number, done: () => boolean): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    let wake = () => {};
    const check = () => {
      if (done()) wake();
    };
    this.waiters.add(check);
    try {
      await new Promise<void>((r) => {
        wake = r;
        timer = setTimeout(r, ms);
        check();
      });
    } finally {
      clearTimeout(timer);
      this.waiters.delete(check);
    }
  }
}

/** The one warning a run prints when the store could not take all of it. */
export function unrecordedWarning(label: string, u: Unrecorded, logPath: string | null): string {
  const what = u.runRecorded
    ? `${u.events} of this run's ${u.totalEvents} events${u.outcome ? ` and its outcome (${u.outcome})` : ""}`
    : `this run (${u.totalEvents} events${u.outcome ? `, outcome ${u.outcome}` : ""})`;
  return `warning: ${label} did not record ${what}: ${u.error}. The full log is in ${logPath ?? "the run's log file"}.`;
}
