/**
 * Bounded HTTP load for the cutover measurements: a fixed number of sequential request loops per
 * URL (each on its own keep-alive connection), results split into named phases ("steady",
 * "cutover", ...). No dependency beyond node:http, so the figures do not depend on a load tool.
 *
 * The pure part (Bucket, percentile) is separate from the network part so it can be unit-tested.
 */
import http from "node:http";

/** One request's outcome, as the loop records it. */
export type Outcome = { kind: "response"; status: number; body: string; ms: number } | { kind: "error"; code: string; ms: number };

/** A phase's figures. Latency covers every request that got a response (any status). */
export interface BucketStats {
  name: string;
  durationMs: number;
  sent: number;
  ok: number;
  non2xx: number;
  byStatus: Record<string, number>;
  errors: number;
  byError: Record<string, number>;
  /** Requests whose reused keep-alive connection was closed before any response byte, sent again once (see `staleRetries`). */
  staleRetries: number;
  p50: number;
  p99: number;
  max: number;
  /** Response bodies seen (whitespace folded, first 40 characters) → count: which app version answered. */
  bodies: Record<string, number>;
}

/** Nearest-rank percentile of an ascending list (0 for an empty one): the smallest value with at least p% of values ≤ it. */
export function percentile(sortedAsc: readonly number[], p: number): number {
  if (sortedAsc.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sortedAsc.length);
  return sortedAsc[Math.min(sortedAsc.length, Math.max(1, rank)) - 1]!;
}

/** Collects the outcomes of one phase. */
export class Bucket {
  private readonly latencies: number[] = [];
  private readonly stats: Omit<BucketStats, "p50" | "p99" | "max" | "durationMs">;
  private endedAt: number | null = null;

  constructor(
    readonly name: string,
    private readonly startedAt = Date.now(),
  ) {
    this.stats = { name, sent: 0, ok: 0, non2xx: 0, byStatus: {}, errors: 0, byError: {}, staleRetries: 0, bodies: {} };
  }

  record(o: Outcome): void {
    const s = this.stats;
    s.sent++;
    if (o.kind === "error") {
      s.errors++;
      s.byError[o.code] = (s.byError[o.code] ?? 0) + 1;
      return;
    }
    this.latencies.push(o.ms);
    if (o.status >= 200 && o.status < 300) s.ok++;
    else {
      s.non2xx++;
      s.byStatus[String(o.status)] = (s.byStatus[String(o.status)] ?? 0) + 1;
    }
    const body = o.body.replace(/\s+/g, " ").trim().slice(0, 40);
    s.bodies[body] = (s.bodies[body] ?? 0) + 1;
  }

  retried(): void {
    this.stats.staleRetries++;
  }

  end(at = Date.now()): void {
    this.endedAt ??= at;
  }

  summary(): BucketStats {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const round = (n: number) => Math.round(n * 10) / 10;
    return {
      ...this.stats,
      byStatus: { ...this.stats.byStatus },
      byError: { ...this.stats.byError },
      bodies: { ...this.stats.bodies },
      durationMs: (this.endedAt ?? Date.now()) - this.startedAt,
      p50: round(percentile(sorted, 50)),
      p99: round(percentile(sorted, 99)),
      max: round(sorted.at(-1) ?? 0),
    };
  }
}

export interface LoadOptions {
  urls: string[];
  connectionsPerUrl: number;
  /** A request with no complete response after this long counts as an error `ETIMEDOUT` (default 10 s). */
  timeoutMs?: number;
  /** First phase's name (default "steady"). */
  phase?: string;
}

export interface LoadHandle {
  /** End the current phase and start a new bucket; requests are counted in the phase they started in. */
  phase(name: string): void;
  /** Stop every loop (after its request in flight) and return each phase's figures, in order. */
  stop(): Promise<BucketStats[]>;
}

const now = () => Number(process.hrtime.bigint()) / 1e6;

/** One GET on `agent`; never rejects. `stale`: the reused socket was closed before any response byte. */
function get(url: string, agent: http.Agent, timeoutMs: number): Promise<Outcome & { stale?: boolean }> {
  const t0 = now();
  return new Promise((resolve) => {
    let gotResponse = false;
    const req = http.get(url, { agent }, (res) => {
      gotResponse = true;
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        if (body.length < 200) body += c;
      });
      res.on("end", () => resolve({ kind: "response", status: res.statusCode ?? 0, body, ms: now() - t0 }));
      res.on("error", (e: NodeJS.ErrnoException) => resolve({ kind: "error", code: e.code ?? e.message, ms: now() - t0 }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })));
    req.on("error", (e: NodeJS.ErrnoException) => {
      const code = e.code ?? e.message;
      // The keep-alive race: the server closed an idle connection as we reused it. Every HTTP client
      // (browsers, curl, Node's docs) sends an idempotent request again in that case.
      const stale = req.reusedSocket && !gotResponse && (code === "ECONNRESET" || code === "EPIPE");
      resolve({ kind: "error", code, ms: now() - t0, stale });
    });
  });
}

/** Start the load loops; they run until `stop()`. */
export function startLoad(opts: LoadOptions): LoadHandle {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const buckets: Bucket[] = [new Bucket(opts.phase ?? "steady")];
  const agents: http.Agent[] = [];
  let stopped = false;
  const loop = async (url: string) => {
    // One socket per loop: the concurrency is exactly connectionsPerUrl per URL.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    while (!stopped) {
      const bucket = buckets.at(-1)!;
      let o = await get(url, agent, timeoutMs);
      if (o.kind === "error" && o.stale) {
        bucket.retried();
        o = await get(url, agent, timeoutMs);
      }
      bucket.record(o);
      // A refused connection returns at once: do not spin the CPU the hosts need.
      if (o.kind === "error") await new Promise((r) => setTimeout(r, 5));
    }
  };
  const loops = opts.urls.flatMap((u) => Array.from({ length: opts.connectionsPerUrl }, () => loop(u)));
  return {
    phase(name) {
      const t = Date.now();
      buckets.at(-1)!.end(t);
      buckets.push(new Bucket(name, t));
    },
    async stop() {
      stopped = true;
      await Promise.all(loops);
      buckets.at(-1)!.end();
      for (const a of agents) a.destroy();
      return buckets.map((b) => b.summary());
    },
  };
}

/** One line per phase for test output and the bench log. */
export function formatStats(s: BucketStats): string {
  const kv = (r: Record<string, number>) =>
    Object.entries(r)
      .map(([k, v]) => `${k}×${v}`)
      .join(" ");
  return (
    `${s.name}: ${s.sent} requests in ${(s.durationMs / 1000).toFixed(1)} s, ${s.ok} 2xx, ${s.non2xx} non-2xx${s.non2xx ? ` (${kv(s.byStatus)})` : ""}, ` +
    `${s.errors} connection errors${s.errors ? ` (${kv(s.byError)})` : ""}, ${s.staleRetries} stale keep-alive retries; ` +
    `p50 ${s.p50} ms, p99 ${s.p99} ms, max ${s.max} ms; bodies ${kv(s.bodies)}`
  );
}
