/**
 * Host connections kept between dashboard reads. The overview refreshes every few seconds in every
 * open tab; opening an SSH connection per host per refresh would cost a handshake each time (~20 ms
 * of CPU on each side, per host). Connections are kept while in use and closed after `idleMs`
 * without a read. An idle connection that dropped is reopened by the SSH executor itself on its next
 * command; one that fails during a read (a transport error, an abandoned command) is dropped at
 * once, and the reader is told which hosts ran on a reused connection, so it reads those again on
 * fresh ones instead of calling a host unreachable because its old connection died under it.
 */
import type { Host } from "../config/resolve.js";
import type { Executor, ExecutorFactory } from "../exec/executor.js";

interface Kept {
  ex: Promise<Executor>;
  timer: NodeJS.Timeout | null;
}

export class KeptConnections {
  private kept = new Map<string, Kept>();

  constructor(
    private readonly connect: ExecutorFactory,
    private readonly idleMs: number,
  ) {}

  /**
   * A factory for one read: executors whose close() keeps the connection (the idle timer closes it),
   * and the names of the hosts it handed a reused connection to.
   */
  lease(): { factory: ExecutorFactory; reused: Set<string> } {
    const reused = new Set<string>();
    const factory: ExecutorFactory = async (h) => {
      let k = this.kept.get(h.name);
      if (k) reused.add(h.name);
      else {
        k = { ex: this.connect(h), timer: null };
        this.kept.set(h.name, k);
        // A failed connect is not kept: the next read tries again.
        k.ex.catch(() => this.drop(h.name, k!));
      }
      this.touch(h.name, k);
      return this.wrap(h, await k.ex, k);
    };
    return { factory, reused };
  }

  /** Close the connections of these hosts now (their next read connects afresh). */
  evict(names: Iterable<string>): void {
    for (const n of names) {
      const k = this.kept.get(n);
      if (k) this.drop(n, k);
    }
  }

  async closeAll(): Promise<void> {
    const all = [...this.kept.entries()];
    for (const [n, k] of all) this.drop(n, k);
    await Promise.allSettled(all.map(async ([, k]) => (await k.ex).close()));
  }

  private touch(name: string, k: Kept): void {
    if (k.timer) clearTimeout(k.timer);
    k.timer = setTimeout(() => this.drop(name, k), this.idleMs);
    k.timer.unref();
  }

  private drop(name: string, k: Kept): void {
    if (k.timer) clearTimeout(k.timer);
    if (this.kept.get(name) !== k) return;
    this.kept.delete(name);
    void k.ex.then(
      (ex) => ex.close(),
      () => {},
    );
  }

  private wrap(h: Host, inner: Executor, k: Kept): Executor {
    const guard =
      <A extends unknown[]>(f: (...a: A) => ReturnType<Executor["exec"]>) =>
      async (...a: A) => {
        try {
          const r = await f(...a);
          this.touch(h.name, k);
          return r;
        } catch (e) {
          this.drop(h.name, k);
          throw e;
        }
      };
    return {
      host: inner.host,
      script: guard((text: string, opts?: Parameters<Executor["script"]>[1]) => inner.script(text, opts)),
      exec: guard((line: string, opts?: Parameters<Executor["exec"]>[1]) => inner.exec(line, opts)),
      // The read is done with it; the connection stays for the next read.
      close: async () => {},
      abandon: () => {
        this.drop(h.name, k);
        inner.abandon?.();
      },
    };
  }
}
