import { afterEach, describe, expect, it, vi } from "vitest";
import type { Host } from "../../../src/config/resolve.js";
import type { Executor } from "../../../src/exec/executor.js";
import { KeptConnections } from "../../../src/serve/kept.js";

const host = (name: string) => ({ name }) as Host;

function fakeFactory() {
  const made: { name: string; closed: boolean; fail: boolean }[] = [];
  const factory = async (h: Host): Promise<Executor> => {
    const rec = { name: h.name, closed: false, fail: false };
    made.push(rec);
    return {
      host: h,
      exec: async () => {
        if (rec.fail) throw new Error("connection lost");
        return { code: 0, signal: null, stdout: "", stderr: "" };
      },
      script: async () => ({ code: 0, signal: null, stdout: "", stderr: "" }),
      close: async () => void (rec.closed = true),
    };
  };
  return { made, factory };
}

afterEach(() => vi.useRealTimers());

describe("KeptConnections", () => {
  it("reuses a connection across reads, reports it as reused, and closes it only when idle", async () => {
    vi.useFakeTimers();
    const f = fakeFactory();
    const kept = new KeptConnections(f.factory, 60_000);
    const a = kept.lease();
    const first = await a.factory(host("web1"));
    await first.exec("true");
    // The read is done: closing keeps the connection.
    await first.close();
    expect(a.reused.has("web1")).toBe(false);
    const b = kept.lease();
    await (await b.factory(host("web1"))).exec("true");
    expect(b.reused.has("web1")).toBe(true);
    expect(f.made).toHaveLength(1);
    expect(f.made[0]!.closed).toBe(false);
    await vi.advanceTimersByTimeAsync(60_001);
    expect(f.made[0]!.closed).toBe(true);
    await kept.lease().factory(host("web1"));
    expect(f.made).toHaveLength(2);
  });

  it("drops a connection whose command failed, and evict() closes one at once", async () => {
    const f = fakeFactory();
    const kept = new KeptConnections(f.factory, 60_000);
    const ex = await kept.lease().factory(host("web1"));
    f.made[0]!.fail = true;
    await expect(ex.exec("true")).rejects.toThrow("connection lost");
    await new Promise((r) => setImmediate(r));
    expect(f.made[0]!.closed).toBe(true);
    const again = kept.lease();
    await again.factory(host("web1"));
    expect(again.reused.has("web1")).toBe(false);
    kept.evict(["web1"]);
    await new Promise((r) => setImmediate(r));
    expect(f.made[1]!.closed).toBe(true);
    await kept.closeAll();
  });
});
