/**
 * How the server reads hosts across requests: connecting within a time limit, the connections kept
 * per environment (kept.ts), and one read in flight per environment shared by concurrent requests.
 */
import type { Host } from "../config/resolve.js";
import { OperationError } from "../errors.js";
import type { Executor, ExecutorFactory } from "../exec/executor.js";
import type { EnvironmentView } from "./environments.js";
import { KeptConnections } from "./kept.js";

/** The factory, with connecting bounded too: a host that accepts TCP and never finishes the handshake must not hold the request. */
export function boundedFactory(inner: ExecutorFactory, ms: number): ExecutorFactory {
  return (h: Host) =>
    new Promise<Executor>((resolve, reject) => {
      let late = false;
      const timer = setTimeout(() => {
        late = true;
        reject(new OperationError(`no connection within ${ms / 1000} s`));
      }, ms);
      inner(h).then(
        (ex) => {
          clearTimeout(timer);
          // Too late: the request has moved on, so the connection is closed at once.
          if (late) void ex.close();
          else resolve(ex);
        },
        (e) => {
          clearTimeout(timer);
          reject(e);
        },
      );
    });
}

/**
 * What the server keeps between reads of the hosts: each environment's connections (kept.ts), and
 * the read in flight, which concurrent requests for the same environment share (ten open tabs
 * refreshing the overview cost one read, not ten).
 */
export class EnvironmentReads {
  private kept = new Map<string, KeptConnections>();
  private inflight = new Map<string, Promise<EnvironmentView>>();

  constructor(private readonly idleMs: number) {}

  connections(name: string, make: () => ExecutorFactory): KeptConnections {
    let k = this.kept.get(name);
    if (!k) this.kept.set(name, (k = new KeptConnections(make(), this.idleMs)));
    return k;
  }

  shared(name: string, read: () => Promise<EnvironmentView>): Promise<EnvironmentView> {
    let p = this.inflight.get(name);
    if (!p) {
      p = read().finally(() => this.inflight.delete(name));
      this.inflight.set(name, p);
    }
    return p;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.kept.values()].map((k) => k.closeAll()));
  }
}
