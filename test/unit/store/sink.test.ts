/** StoreSink against a scripted store: buffered while the store fails, written in order with one write at a time, bounded drain. */
import { describe, expect, it } from "vitest";
import type { SlipwayEvent, Timed } from "../../../src/events/types.js";
import { StoreSink, unrecordedWarning } from "../../../src/store/sink.js";
import type { NewRun, RunFields, StateStore, StoredEvent } from "../../../src/store/store.js";

class FakeStore implements StateStore {
  readonly label = "the fake store";
  readonly remote = true;
  down = false;
  inFlight = 0;
  maxInFlight = 0;
  begins = 0;
  written: StoredEvent[] = [];
  fields: RunFields = {};
  private async io<T>(f: () => T): Promise<T> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((r) => setTimeout(r, 2));
    this.inFlight--;
    if (this.down) throw new Error("connect ECONNREFUSED");
    return f();
  }
  beginRun(_r: NewRun) {
    return this.io(() => ++this.begins && 7);
  }
  updateRun(_id: number, f: RunFields) {
    return this.io(() => void Object.assign(this.fields, f));
  }
  appendEvents(_id: number, e: StoredEvent[]) {
    return this.io(() => void this.written.push(...e));
  }
  listRuns = async () => [];
  runsBetween = async () => [];
  getRun = async () => null;
  events = async () => [];
  eventsAfter = async () => [];
  runByKey = async () => null;
  createToken = async () => {};
  listTokens = async () => [];
  revokeToken = async () => false;
  close = async () => {};
}

const run: NewRun = { key: "k", verb: "deploy", env: "prod", by: "me", startedAt: "t", logPath: "/l.log" };
const ev = (i: number): Timed<SlipwayEvent> => ({ type: "info", message: `m${i}`, ts: `t${i}` }) as Timed<SlipwayEvent>;
const end = { type: "run:end", ok: true, summary: [], durationMs: 5, ts: "tend" } as unknown as Timed<SlipwayEvent>;

describe("StoreSink", () => {
  it("writes every event once, in order, never two writes at a time", async () => {
    const store = new FakeStore();
    const sink = new StoreSink(store, run);
    expect(await sink.start(1000)).toBeNull();
    for (let i = 1; i <= 1200; i++) {
      sink.handle(ev(i));
      if (i % 100 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    sink.handle(end);
    expect(await sink.drain(5000)).toBeNull();
    expect(store.written.map((e) => e.seq)).toEqual(Array.from({ length: 1201 }, (_, i) => i + 1));
    expect(JSON.parse(store.written[41]!.json).message).toBe("m42");
    expect(store.maxInFlight).toBe(1);
    expect(store.fields).toMatchObject({ outcome: "ok", durationMs: 5 });
  });

  it("keeps events while the store is down and writes them when it is back", async () => {
    const store = new FakeStore();
    const sink = new StoreSink(store, run);
    await sink.start(1000);
    store.down = true;
    for (let i = 1; i <= 50; i++) sink.handle(ev(i));
    await new Promise((r) => setTimeout(r, 300));
    expect(store.written).toHaveLength(0);
    store.down = false;
    sink.handle(end);
    expect(await sink.drain(5000)).toBeNull();
    expect(store.written.map((e) => e.seq)).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
    expect(store.fields.outcome).toBe("ok");
    expect(store.begins).toBe(1);
  });

  it("a store down from the start: start reports the error, drain gives up in time and says what is missing", async () => {
    const store = new FakeStore();
    store.down = true;
    const sink = new StoreSink(store, run);
    expect(String(await sink.start(1000))).toMatch(/ECONNREFUSED/);
    for (let i = 1; i <= 3; i++) sink.handle(ev(i));
    sink.handle(end);
    const t0 = Date.now();
    const lost = await sink.drain(300);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(lost).toEqual({ runRecorded: false, events: 4, totalEvents: 4, outcome: "ok", error: "connect ECONNREFUSED" });
    expect(unrecordedWarning(store.label, lost!, "/l.log")).toBe(
      "warning: the fake store did not record this run (4 events, outcome ok): connect ECONNREFUSED. The full log is in /l.log.",
    );
  });
});
