/** Scheduled deploys: slots in IANA timezones across DST, missed slots, the state file, and what the scheduler does at a slot. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ScheduleSpec } from "../../../src/config/schema/index.js";
import { nextSlot, slotId, slotsBetween } from "../../../src/plan/schedule.js";
import type { CliCall, CliOutcome, RunningAction } from "../../../src/serve/runner.js";
import {
  type ClaimSlot,
  deployArgs,
  judge,
  readScheduleState,
  STATE_FILE,
  Scheduler,
  type SchedulerOptions,
  writeScheduleState,
} from "../../../src/serve/scheduler.js";
import type { RunRecord } from "../../../src/store/store.js";

const iso = (d: Date | null) => d?.toISOString() ?? null;

describe("slots", () => {
  it("reads the cron in its timezone: a Berlin Tuesday 10:00 is 09:00Z in winter and 08:00Z in summer", () => {
    expect(iso(nextSlot("0 10 * * 2", "Europe/Berlin", new Date("2026-03-20T00:00:00Z")))).toBe("2026-03-24T09:00:00.000Z");
    // DST began on Sunday 2026-03-29: the wall time stays, the UTC instant moves.
    expect(iso(nextSlot("0 10 * * 2", "Europe/Berlin", new Date("2026-03-24T09:00:00Z")))).toBe("2026-03-31T08:00:00.000Z");
    expect(iso(nextSlot("0 9 * * *", "America/New_York", new Date("2026-11-01T00:00:00Z")))).toBe("2026-11-01T14:00:00.000Z");
    expect(iso(nextSlot("0 9 * * *", "America/New_York", new Date("2026-10-31T00:00:00Z")))).toBe("2026-10-31T13:00:00.000Z");
    expect(iso(nextSlot("0 10 * * 2", "UTC", new Date("2026-03-20T00:00:00Z")))).toBe("2026-03-24T10:00:00.000Z");
  });

  it("is strictly after the instant given (a slot is never its own next slot)", () => {
    expect(iso(nextSlot("0 10 * * 2", "UTC", new Date("2026-03-24T10:00:00Z")))).toBe("2026-03-31T10:00:00.000Z");
  });

  it("a start skipped by spring-forward runs once, after the gap; a repeated hour in autumn runs once", () => {
    // Berlin 2026-03-29: 02:00-03:00 does not exist.
    const spring = slotsBetween("30 2 * * *", "Europe/Berlin", new Date("2026-03-28T00:00:00Z"), new Date("2026-03-30T12:00:00Z"));
    expect(spring.map(iso)).toEqual(["2026-03-28T01:30:00.000Z", "2026-03-29T01:00:00.000Z", "2026-03-30T00:30:00.000Z"]);
    // Berlin 2026-10-25: 02:00-03:00 happens twice.
    const autumn = slotsBetween("30 2 * * *", "Europe/Berlin", new Date("2026-10-24T12:00:00Z"), new Date("2026-10-26T12:00:00Z"));
    expect(autumn).toHaveLength(2);
    expect(autumn.map(iso)[1]).toBe("2026-10-26T01:30:00.000Z");
  });

  it("lists the slots in (after, until], keeping only the newest when many passed", () => {
    const from = new Date("2026-03-01T00:00:00Z");
    expect(slotsBetween("0 10 * * 2", "UTC", from, new Date("2026-03-17T10:00:00Z")).map(iso)).toEqual([
      "2026-03-03T10:00:00.000Z",
      "2026-03-10T10:00:00.000Z",
      "2026-03-17T10:00:00.000Z",
    ]);
    const many = slotsBetween("* * * * *", "UTC", from, new Date("2026-03-02T00:00:00Z"), 3);
    expect(many.map(iso)).toEqual(["2026-03-01T23:58:00.000Z", "2026-03-01T23:59:00.000Z", "2026-03-02T00:00:00.000Z"]);
    expect(slotsBetween("0 10 * * 2", "UTC", from, from)).toEqual([]);
  });

  it("names a slot as a directory: its UTC second", () => {
    expect(slotId(new Date("2026-12-08T09:00:00Z"))).toBe("20261208T090000Z");
  });
});

describe("deploy arguments and results", () => {
  const s: ScheduleSpec = { name: "weekly", env: "prod", cron: "0 10 * * 2", timezone: "UTC" };
  const slot = new Date("2026-03-24T10:00:00Z");

  it("deploys the config ref with a message naming the slot, or the given ref, component and message", () => {
    expect(deployArgs(s, slot)).toEqual(["deploy", "-m", "scheduled deploy weekly (slot 2026-03-24T10:00:00.000Z)"]);
    expect(deployArgs({ ...s, ref: "v2", component: "api", message: "train" }, slot)).toEqual(["deploy", "api", "--ref", "v2", "-m", "train"]);
  });

  const out = (code: number, stderr = ""): CliOutcome => ({ code, signal: null, stdout: "", stderr });
  it("takes the run's outcome; a refusal before any run gives the stderr tail; a held lock is a skip naming the holder", () => {
    expect(judge(out(0), "ok")).toEqual({ outcome: "ok", detail: null });
    expect(judge(out(1, "x\nrefused: gate windows: outside every allow window\n"), null)).toEqual({
      outcome: "refused",
      detail: "x\nrefused: gate windows: outside every allow window",
    });
    expect(judge(out(1, "deploy failed at build"), "failed")).toMatchObject({ outcome: "failed" });
    const held = judge(out(1, 'error: prod is locked (on h1): held by ada for 3m; deploy: "hotfix"; pid 1 on m; slipway 0.1.0\n'), "failed");
    expect(held.outcome).toBe("skipped");
    expect(held.detail).toMatch(/^lock held by ada: /);
  });
});

describe("state file", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "slipway-sched-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("round-trips, written by rename (no temporary file left), mode 0600", () => {
    const st = {
      version: 1 as const,
      schedules: { weekly: { cron: "0 10 * * 2", timezone: "UTC", since: "2026-03-01T00:00:00.000Z", lastSlot: null, last: null, missed: [] } },
    };
    writeScheduleState(dir, st);
    expect(readScheduleState(dir)).toEqual(st);
    expect(readdirSync(dir)).toEqual([STATE_FILE]);
    expect((statSync(path.join(dir, STATE_FILE)).mode & 0o777).toString(8)).toBe("600");
  });

  it("no file: empty; a broken file: reported and empty", () => {
    const lines: string[] = [];
    expect(readScheduleState(dir, (l) => lines.push(l))).toEqual({ version: 1, schedules: {} });
    expect(lines).toEqual([]);
    writeFileSync(path.join(dir, STATE_FILE), '{"version": 1, "schedules": {"a": 3}}');
    expect(readScheduleState(dir, (l) => lines.push(l))).toEqual({ version: 1, schedules: {} });
    expect(lines[0]).toMatch(/is not a schedule state file/);
  });
});

/** A scheduler with fake timers (Date follows them), a fake runner and store, a temp state dir. */
function harness(schedules: ScheduleSpec[], o: Partial<SchedulerOptions> & { exit?: CliOutcome; record?: boolean; dir?: string } = {}) {
  const dir = o.dir ?? mkdtempSync(path.join(os.tmpdir(), "slipway-sched-"));
  const lines: string[] = [];
  const calls: CliCall[] = [];
  const runs = new Map<string, RunRecord>();
  const claims: string[] = [];
  let finish: (r: CliOutcome) => void = () => {};
  const runner = {
    start: vi.fn((call: CliCall): RunningAction => {
      calls.push(call);
      const key = `k${calls.length}`;
      const done = new Promise<CliOutcome>((r) => (finish = r));
      if (o.record !== false)
        runs.set(key, {
          id: calls.length,
          verb: "deploy",
          env: call.env!,
          releaseId: null,
          commit: null,
          by: call.user,
          startedAt: "",
          finishedAt: null,
          outcome: null,
          durationMs: null,
          logPath: null,
        });
      void done.then((r) => {
        const run = runs.get(key);
        if (run) run.outcome = r.code === 0 ? "ok" : r.signal || r.code === 130 ? "interrupted" : "failed";
      });
      // biome-ignore lint/suspicious/noExplicitAny: a child process is not needed by the scheduler
      return { key, call, startedAt: "", child: null as any, done, cancelled: false };
    }),
    runOf: vi.fn(async (_store: unknown, a: RunningAction) => runs.get(a.key) ?? null),
    cancel: vi.fn(() => {
      finish({ code: 130, signal: null, stdout: "", stderr: "interrupted" });
      return true;
    }),
  };
  const store = { runByKey: async (k: string) => runs.get(k) ?? null, getRun: async (id: number) => [...runs.values()].find((r) => r.id === id) ?? null };
  const claim: ClaimSlot = async (s, slot) => {
    claims.push(`${s.name} ${slot.toISOString()}`);
    return { ok: true };
  };
  const sch = new Scheduler({ schedules, now: () => new Date(), runner, store, stateDir: dir, claim, log: (l) => lines.push(l), ...o });
  return {
    sch,
    dir,
    lines,
    calls,
    claims,
    runner,
    finish: (r: CliOutcome) => finish(r),
    state: () => JSON.parse(readFileSync(path.join(dir, STATE_FILE), "utf8")),
  };
}

const weekly: ScheduleSpec = { name: "weekly", env: "prod", cron: "0 10 * * 2", timezone: "Europe/Berlin" };

describe("Scheduler", () => {
  const dirs: string[] = [];
  beforeEach(() => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] }));
  afterEach(() => {
    vi.useRealTimers();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("first start: nothing missed, the next slot shown; at the slot it claims, deploys as schedule:<name> and records the run's result", async () => {
    vi.setSystemTime(new Date("2026-03-24T08:59:50Z"));
    const h = harness([weekly]);
    dirs.push(h.dir);
    h.sch.start();
    expect(h.lines).toEqual([]);
    expect(h.sch.list()[0]).toMatchObject({ name: "weekly", next: "2026-03-24T09:00:00.000Z", lastSlot: null, last: null, missed: [] });
    expect(h.state().schedules.weekly).toMatchObject({ since: "2026-03-24T08:59:50.000Z", lastSlot: null });
    await vi.advanceTimersByTimeAsync(9_000);
    expect(h.calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.claims).toEqual(["weekly 2026-03-24T09:00:00.000Z"]);
    expect(h.calls).toEqual([{ env: "prod", args: ["deploy", "-m", "scheduled deploy weekly (slot 2026-03-24T09:00:00.000Z)"], user: "schedule:weekly" }]);
    expect(h.sch.list()[0]!.last).toMatchObject({ slot: "2026-03-24T09:00:00.000Z", outcome: "running", runId: 1 });
    // Handled from the start of the deploy: a crash now must not run it again.
    expect(h.state().schedules.weekly.lastSlot).toBe("2026-03-24T09:00:00.000Z");
    h.finish({ code: 0, signal: null, stdout: "", stderr: "" });
    await h.sch.idle();
    const v = h.sch.list()[0]!;
    expect(v.last).toMatchObject({ outcome: "ok", runId: 1, detail: null });
    expect(v.next).toBe("2026-03-31T08:00:00.000Z");
    expect(h.state().schedules.weekly.last.outcome).toBe("ok");
    expect(h.lines.at(-1)).toBe("schedule weekly: slot 2026-03-24T09:00:00.000Z: ok (run 1)");
    await h.sch.stop();
  });

  it("a deploy still 'running' in the file when a server starts is shown interrupted (that server stopped during it), not running", async () => {
    vi.setSystemTime(new Date("2026-03-24T08:59:50Z"));
    const h = harness([weekly]);
    dirs.push(h.dir);
    h.sch.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(h.sch.list()[0]!.last).toMatchObject({ outcome: "running" });
    // The server dies here (no stop(): the file still says running); another starts a minute later.
    vi.setSystemTime(new Date("2026-03-24T09:01:00Z"));
    const h2 = harness([weekly], { dir: h.dir });
    h2.sch.start();
    expect(h2.sch.list()[0]!.last).toMatchObject({ slot: "2026-03-24T09:00:00.000Z", outcome: "interrupted", runId: 1 });
    expect(h2.calls).toEqual([]);
    await h2.sch.stop();
  });

  it("a slot that passed while no server ran is reported missed, not run; the next start does not report it again", async () => {
    vi.setSystemTime(new Date("2026-03-20T00:00:00Z"));
    const h = harness([weekly]);
    dirs.push(h.dir);
    h.sch.start();
    await h.sch.stop();
    // Down over two Tuesdays (one before DST, one after), up again on Wednesday.
    vi.setSystemTime(new Date("2026-04-01T07:00:00Z"));
    const h2 = harness([weekly], { dir: h.dir });
    h2.sch.start();
    expect(h2.lines).toEqual([
      "schedule weekly: missed slot 2026-03-24T09:00:00.000Z (no server was running); not run late",
      "schedule weekly: missed slot 2026-03-31T08:00:00.000Z (no server was running); not run late",
    ]);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(h2.calls).toEqual([]);
    expect(h2.sch.list()[0]).toMatchObject({ lastSlot: "2026-03-31T08:00:00.000Z", missed: ["2026-03-24T09:00:00.000Z", "2026-03-31T08:00:00.000Z"] });
    await h2.sch.stop();
    const h3 = harness([weekly], { dir: h.dir });
    h3.sch.start();
    expect(h3.lines).toEqual([]);
    expect(h3.sch.list()[0]!.missed).toHaveLength(2);
    await h3.sch.stop();
  });

  it("a changed cron starts afresh (the old cron's slots are not missed)", async () => {
    vi.setSystemTime(new Date("2026-03-20T00:00:00Z"));
    const h = harness([weekly]);
    dirs.push(h.dir);
    h.sch.start();
    await h.sch.stop();
    vi.setSystemTime(new Date("2026-04-01T07:00:00Z"));
    const h2 = harness([{ ...weekly, cron: "0 11 * * 2" }], { dir: h.dir });
    h2.sch.start();
    expect(h2.lines).toEqual([]);
    await h2.sch.stop();
  });

  it("a server that wakes later than the grace time reports the slot missed instead of deploying late", async () => {
    vi.setSystemTime(new Date("2026-03-24T08:59:00Z"));
    const h = harness([weekly], { graceMs: 5_000 });
    dirs.push(h.dir);
    h.sch.start();
    // The event loop was blocked past the slot (a suspended laptop): Date jumps, the timer fires late.
    vi.setSystemTime(new Date("2026-03-24T09:05:00Z"));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.calls).toEqual([]);
    expect(h.lines[0]).toMatch(/missed slot 2026-03-24T09:00:00.000Z \(the server woke too late\)/);
    await h.sch.stop();
  });

  it("a slot another server claimed is skipped, naming it; no deploy starts", async () => {
    vi.setSystemTime(new Date("2026-03-24T08:59:59Z"));
    const h = harness([weekly], { claim: async () => ({ ok: false, taken: true, detail: "slot already claimed on h1 by slipway serve pid 7 on m2" }) });
    dirs.push(h.dir);
    h.sch.start();
    await vi.advanceTimersByTimeAsync(1_000);
    await h.sch.idle();
    expect(h.calls).toEqual([]);
    expect(h.sch.list()[0]!.last).toMatchObject({ outcome: "skipped", runId: null, detail: "slot already claimed on h1 by slipway serve pid 7 on m2" });
    await h.sch.stop();
  });

  it("a deploy that refuses before recording a run keeps the CLI's reason", async () => {
    vi.setSystemTime(new Date("2026-03-24T08:59:59Z"));
    const h = harness([weekly], { record: false });
    dirs.push(h.dir);
    h.sch.start();
    await vi.advanceTimersByTimeAsync(1_000);
    h.finish({ code: 2, signal: null, stdout: "", stderr: "error: unknown ref nope\n" });
    await h.sch.idle();
    expect(h.sch.list()[0]!.last).toMatchObject({ outcome: "refused", runId: null, detail: "error: unknown ref nope" });
    await h.sch.stop();
  });

  it("stop cancels a running scheduled deploy and waits for its result", async () => {
    vi.setSystemTime(new Date("2026-03-24T08:59:59Z"));
    const h = harness([weekly]);
    dirs.push(h.dir);
    h.sch.start();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.calls).toHaveLength(1);
    await h.sch.stop();
    expect(h.runner.cancel).toHaveBeenCalledWith("k1");
    expect(h.sch.list()[0]!.last).toMatchObject({ outcome: "interrupted", runId: 1 });
    expect(existsSync(path.join(h.dir, STATE_FILE))).toBe(true);
  });
});
