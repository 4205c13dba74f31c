/**
 * Failed authentications per client address, in memory: after `max` failures within `windowMs` of
 * the first, the address is refused (429) until that window ends. In-process is enough for one
 * server process (restarting it resets the counts, which a guesser cannot trigger from outside).
 */
export interface LimiterOptions {
  max: number;
  windowMs: number;
  now?: () => number;
  /** Addresses tracked at most; beyond it expired windows are dropped, then the oldest. */
  maxKeys?: number;
}

interface Window {
  start: number;
  failures: number;
}

export class FailureLimiter {
  private windows = new Map<string, Window>();
  private now: () => number;
  private maxKeys: number;

  constructor(private o: LimiterOptions) {
    this.now = o.now ?? Date.now;
    this.maxKeys = o.maxKeys ?? 10_000;
  }

  /** Seconds until `key` may try again (0: it may now). */
  retryAfter(key: string): number {
    const w = this.current(key);
    return w && w.failures >= this.o.max ? Math.max(1, Math.ceil((w.start + this.o.windowMs - this.now()) / 1000)) : 0;
  }

  /** Count a failure for `key`. */
  fail(key: string): void {
    const w = this.current(key);
    if (w) w.failures++;
    else {
      if (this.windows.size >= this.maxKeys) this.prune();
      this.windows.set(key, { start: this.now(), failures: 1 });
    }
  }

  /** How many addresses are tracked (for tests of the bound). */
  get size(): number {
    return this.windows.size;
  }

  private current(key: string): Window | undefined {
    const w = this.windows.get(key);
    if (w && this.now() - w.start >= this.o.windowMs) {
      this.windows.delete(key);
      return undefined;
    }
    return w;
  }

  private prune(): void {
    const t = this.now();
    for (const [k, w] of this.windows) if (t - w.start >= this.o.windowMs) this.windows.delete(k);
    // Still full (a flood of fresh addresses): Map order is insertion order, so the oldest go first.
    for (const k of this.windows.keys()) {
      if (this.windows.size < this.maxKeys) break;
      this.windows.delete(k);
    }
  }
}
