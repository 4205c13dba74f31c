/** Everything an operation needs, passed explicitly (no global singletons). */
import os from "node:os";
import type { Environment, Host } from "../config/resolve.js";
import type { EventBus } from "../events/bus.js";
import type { Executor, ExecutorFactory } from "../exec/executor.js";
import type { Notifier } from "../notify/notifier.js";

export interface RunContext {
  env: Environment;
  bus: EventBus;
  signal: AbortSignal;
  /** The session's connections: opened on first use, closed when the session finishes. */
  pool: ExecutorPool;
  parallel: number;
  /** `user@control-host`, recorded in manifests, history and the lock. */
  by: string;
  toolVersion: string;
  /** This control machine's state directory (store, logs, artifact cache). */
  stateDir: string;
  /** Present when the environment configures notifications. */
  notifier?: Notifier;
}

export function whoAmI(): string {
  let user = process.env.SLIPWAY_USER ?? process.env.USER ?? "";
  if (!user) {
    try {
      user = os.userInfo().username;
    } catch {
      user = "unknown";
    }
  }
  return `${user}@${os.hostname()}`;
}

/**
 * At most this many SSH handshakes in flight: a handshake is CPU on both ends (~20 ms here), and
 * 200 started at once would each wait on all the others, every one of them racing the connect
 * timeout; in waves each finishes quickly. Open connections are not limited, only their opening.
 */
export const CONNECT_AT_ONCE = 32;

/** Connections are opened on first use and reused for the whole run; round trips and connect times are counted per host. */
export class ExecutorPool {
  private open = new Map<string, Promise<Executor>>();
  readonly roundTrips: Record<string, number> = {};
  /** ms from asking for the connection until it was ready (queueing for a handshake slot included). */
  readonly connectMs: Record<string, number> = {};
  private connecting = 0;
  private waiting: (() => void)[] = [];
  constructor(
    private connect: ExecutorFactory,
    private atOnce = CONNECT_AT_ONCE,
  ) {}

  get(h: Host): Promise<Executor> {
    let ex = this.open.get(h.name);
    if (!ex) {
      const t0 = Date.now();
      ex = this.limited(() => this.connect(h)).then((inner) => {
        this.connectMs[h.name] = Date.now() - t0;
        return this.counting(inner);
      });
      this.open.set(h.name, ex);
    }
    return ex;
  }

  private async limited<T>(open: () => Promise<T>): Promise<T> {
    if (this.connecting >= this.atOnce) await new Promise<void>((r) => this.waiting.push(r));
    this.connecting++;
    try {
      return await open();
    } finally {
      this.connecting--;
      this.waiting.shift()?.();
    }
  }

  /** Start connecting to every host now, so handshakes overlap commit resolution and the lock. */
  warm(hosts: Host[]): void {
    for (const h of hosts) this.get(h).catch(() => {}); // a failure resurfaces when the host is used
  }

  private counting(inner: Executor): Executor {
    const name = inner.host.name;
    const count = () => (this.roundTrips[name] = (this.roundTrips[name] ?? 0) + 1);
    return {
      host: inner.host,
      script: (text, opts) => (count(), inner.script(text, opts)),
      exec: (line, opts) => (count(), inner.exec(line, opts)),
      close: () => inner.close(),
      abandon: () => inner.abandon?.(),
    };
  }

  async closeAll(bus?: EventBus): Promise<void> {
    if (bus && Object.keys(this.roundTrips).length) bus.emit({ type: "stats", roundTrips: { ...this.roundTrips }, connectMs: { ...this.connectMs } });
    await Promise.allSettled([...this.open.values()].map(async (p) => (await p).close()));
    this.open.clear();
  }
}
