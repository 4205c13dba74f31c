/** The load generator's maths (percentiles, phase buckets) and one run against a real local server. */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { Bucket, percentile, startLoad } from "../load.js";

describe("percentile (nearest rank)", () => {
  it("picks the smallest value with at least p% at or below it", () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile(xs, 100)).toBe(100);
    expect(percentile([7], 50)).toBe(7);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 99)).toBe(4);
    expect(percentile([], 50)).toBe(0);
    expect(percentile([5, 9], 0)).toBe(5);
  });
});

describe("Bucket", () => {
  it("counts 2xx, other statuses, connection errors and bodies; latency only from responses", () => {
    const b = new Bucket("cutover", 1000);
    for (let i = 1; i <= 10; i++) b.record({ kind: "response", status: 200, body: "v1\n", ms: i });
    b.record({ kind: "response", status: 502, body: "<html>bad gateway</html>", ms: 100 });
    b.record({ kind: "response", status: 204, body: "", ms: 0.5 });
    b.record({ kind: "error", code: "ECONNREFUSED", ms: 1000 });
    b.record({ kind: "error", code: "ECONNREFUSED", ms: 1000 });
    b.record({ kind: "error", code: "ETIMEDOUT", ms: 1000 });
    b.retried();
    b.end(3500);
    const s = b.summary();
    expect(s).toMatchObject({
      name: "cutover",
      durationMs: 2500,
      sent: 15,
      ok: 11,
      non2xx: 1,
      byStatus: { "502": 1 },
      errors: 3,
      byError: { ECONNREFUSED: 2, ETIMEDOUT: 1 },
      staleRetries: 1,
      bodies: { v1: 10, "<html>bad gateway</html>": 1, "": 1 },
    });
    // 12 latencies: 0.5, 1..10, 100 → p50 is the 6th (5), p99 the 12th (100)
    expect(s.p50).toBe(5);
    expect(s.p99).toBe(100);
    expect(s.max).toBe(100);
  });
});

describe("startLoad against a real server", () => {
  it("runs bounded loops, splits the results by phase and sees which version answered", async () => {
    let answer = { status: 200, body: "v1" };
    let open = 0;
    let maxOpen = 0;
    const server = http.createServer((_q, r) => {
      open++;
      maxOpen = Math.max(maxOpen, open);
      setTimeout(() => {
        open--;
        r.statusCode = answer.status;
        r.end(answer.body);
      }, 2);
    });
    await new Promise<void>((res) => server.listen(0, "127.0.0.1", res));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const load = startLoad({ urls: [url], connectionsPerUrl: 3, timeoutMs: 2000 });
    await new Promise((r) => setTimeout(r, 200));
    load.phase("broken");
    answer = { status: 502, body: "bad" };
    await new Promise((r) => setTimeout(r, 200));
    load.phase("closed");
    const closed_ = new Promise<void>((res) => server.close(() => res()));
    server.closeAllConnections();
    await closed_;
    await new Promise((r) => setTimeout(r, 100));
    const [steady, broken, closed] = await load.stop();
    expect(maxOpen).toBeLessThanOrEqual(3);
    expect(steady!.name).toBe("steady");
    expect(steady!.sent).toBeGreaterThan(10);
    // at most one request per loop straddles a phase switch
    expect(steady!.ok).toBeGreaterThanOrEqual(steady!.sent - 3);
    expect(steady!.bodies.v1).toBe(steady!.ok);
    expect(steady!.p50).toBeGreaterThanOrEqual(2);
    expect(broken!.non2xx).toBeGreaterThan(0);
    expect(broken!.byStatus["502"]).toBe(broken!.non2xx);
    // a request may straddle the switch and still get v1's answer
    expect(broken!.ok).toBeLessThanOrEqual(3);
    expect(closed!.errors).toBeGreaterThan(0);
    expect(closed!.byError.ECONNREFUSED).toBeGreaterThan(0);
  });
});
