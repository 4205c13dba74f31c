/** The failed-authentication limiter: per address, a window from the first failure, bounded memory. */
import { describe, expect, it } from "vitest";
import { FailureLimiter } from "../../../src/serve/limiter.js";

function clocked(max = 3, windowMs = 60_000, maxKeys?: number) {
  const clock = { t: 1_000_000 };
  return { clock, l: new FailureLimiter({ max, windowMs, now: () => clock.t, maxKeys }) };
}

describe("FailureLimiter", () => {
  it("refuses an address after max failures, until the window from its first failure ends", () => {
    const { clock, l } = clocked();
    expect(l.retryAfter("a")).toBe(0);
    l.fail("a");
    clock.t += 10_000;
    l.fail("a");
    expect(l.retryAfter("a")).toBe(0);
    l.fail("a");
    // 3 failures: refused for the rest of the window (60 s from the first, 10 s have passed)
    expect(l.retryAfter("a")).toBe(50);
    clock.t += 49_500;
    expect(l.retryAfter("a")).toBe(1);
    clock.t += 500;
    expect(l.retryAfter("a")).toBe(0);
    // a fresh window
    l.fail("a");
    expect(l.retryAfter("a")).toBe(0);
  });

  it("counts each address on its own", () => {
    const { l } = clocked(2);
    l.fail("a");
    l.fail("a");
    l.fail("b");
    expect(l.retryAfter("a")).toBe(60);
    expect(l.retryAfter("b")).toBe(0);
  });

  it("keeps at most maxKeys addresses: expired ones go first, then the oldest", () => {
    const { clock, l } = clocked(1, 1000, 3);
    l.fail("old1");
    l.fail("old2");
    clock.t += 2000;
    l.fail("x");
    l.fail("y");
    expect(l.size).toBe(2);
    l.fail("z");
    expect(l.size).toBe(3);
    l.fail("w");
    expect(l.size).toBe(3);
    // "x" was the oldest still in its window
    expect(l.retryAfter("x")).toBe(0);
    expect(l.retryAfter("w")).toBe(1);
  });
});
