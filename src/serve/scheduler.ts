/**
 * Scheduled deploys (`schedule:` in slipway.yml), run by `slipway serve`. At each slot the
 * scheduler claims the slot on the environment's primary (see schedule-claim.ts) and starts the
 * real `slipway <env> deploy` through the ActionRunner, as user `schedule:<name>`: the deploy
 * itself applies the gates, windows and the lock exactly as for a person, and a refusal (outside a
 * window, lock held, a gate failed) is this slot's result, never retried.
 *
 * The last handled slot of each schedule is kept in `<state dir>/schedules.json`, so a slot that
 * passed while no server ran is reported as missed (a log line and the API) and not run late: a
 * Tuesday deploy that starts on Wednesday morning is a surprise nobody planned for.
 */
import path from "node:path";
import type { ScheduleSpec } from "../config/schema/index.js";
import { nextSlot, slotsBetween } from "../plan/schedule.js";
import type { StateStore } from "../store/store.js";
import type { ActionRunner, CliOutcome, RunningAction } from "./runner.js";
import { type Entry, readScheduleState, STATE_FILE, type ScheduleState, writeScheduleState } from "./schedule-state.js";

// The state file's functions and name are part of this module's interface (tests, serve).
export { readScheduleState, STATE_FILE, writeScheduleState } from "./schedule-state.js";
export type { ScheduleState } from "./schedule-state.js";

/** What became of a slot. `outcome`: the run's (ok, failed, interrupted...), `running`, `refused` (the deploy stopped before recording a run), `skipped` (another server claimed the slot, or the lock was held) or `error` (the slot could not be claimed). */
export interface ScheduleResult {
  slot: string;
  outcome: string;
  runId: number | null;
  /** When the result was decided (or, while running, when the deploy started). */
  at: string;
  detail: string | null;
}

export interface ScheduleView {
  name: string;
  env: string;
  cron: string;
  timezone: string;
  ref: string | null;
  component: string | null;
  /** The next slot (ISO), null when the cron never fires again. */
  next: string | null;
  lastSlot: string | null;
  last: ScheduleResult | null;
  /** Slots that passed unrun (no server was running, or it woke too late), newest last. */
  missed: string[];
}

/** The slot claim on the hosts: ok, or who has it already (`detail` says), or an error reaching the host. */
export type ClaimResult = { ok: true } | { ok: false; taken: boolean; detail: string };
export type ClaimSlot = (s: ScheduleSpec, slot: Date) => Promise<ClaimResult>;

export interface SchedulerOptions {
  schedules: readonly ScheduleSpec[];
  /** The clock (config/clock.ts `now` in production: SLIPWAY_NOW and SLIPWAY_NOW_SINCE in tests). */
  now: () => Date;
  runner: Pick<ActionRunner, "start" | "runOf" | "cancel">;
  store: Pick<StateStore, "runByKey" | "getRun">;
  stateDir: string;
  claim: ClaimSlot;
  log: (line: string) => void;
  /** A slot is still fired this long after its time (a busy event loop); later it is missed. Default 60 s. */
  graceMs?: number;
}

const MAX_MISSED = 20;
/** Timers wake at least this often, so a wall-clock jump (suspend, NTP) is noticed within a minute. */
const MAX_SLEEP_MS = 60_000;
const TAIL_LINES = 6;

/** The deploy's argument vector for one slot (the env goes before it; the lock wait stays the default 0, so a held lock refuses at once). */
export function deployArgs(s: ScheduleSpec, slot: Date): string[] {
  const msg = s.message ?? `scheduled deploy ${s.name} (slot ${slot.toISOString()})`;
  return ["deploy", ...(s.component ? [s.component] : []), ...(s.ref ? ["--ref", s.ref] : []), "-m", msg];
}

/** The last lines of a child's stderr: why a deploy refused. */
function tail(text: string): string {
  return text.trim().split("\n").slice(-TAIL_LINES).join("\n");
}

/** A held lock is no failure of the schedule: someone else is deploying; the slot is skipped and says by whom. */
function lockHolder(stderr: string): string | null {
  const m = /is locked \(on [^)]*\): held by (.+?) for /.exec(stderr);
  return m ? m[1]! : null;
}

export class Scheduler {
  private state: ScheduleState = { version: 1, schedules: {} };
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly inFlight = new Map<string, { action: RunningAction | null; done: Promise<void> }>();
  private stopped = true;
  private readonly graceMs: number;

  constructor(private readonly o: SchedulerOptions) {
    this.graceMs = o.graceMs ?? 60_000;
  }

  /** Read the state file, report what was missed while no server ran, and arm a timer per schedule. */
  start(): void {
    this.stopped = false;
    this.state = readScheduleState(this.o.stateDir, this.o.log);
    const t = this.o.now();
    const kept: Record<string, Entry> = {};
    for (const s of this.o.schedules) {
      const old = this.state.schedules[s.name];
      // A schedule whose cron or timezone changed starts afresh: the old slots are not this schedule's.
      const e: Entry =
        old && old.cron === s.cron && old.timezone === s.timezone
          ? old
          : { cron: s.cron, timezone: s.timezone, since: t.toISOString(), lastSlot: null, last: old?.last ?? null, missed: [] };
      // "running" in the file: the server stopped (or died) during that deploy; this process is not running it.
      if (e.last?.outcome === "running")
        e.last = { ...e.last, outcome: "interrupted", detail: "the server stopped while this scheduled deploy ran; see its run for how it ended" };
      const from = new Date(e.lastSlot ?? e.since);
      const missed = slotsBetween(s.cron, s.timezone, from, t, MAX_MISSED);
      if (missed.length) this.markMissed(s, e, missed, "no server was running");
      kept[s.name] = e;
    }
    // A config without schedules leaves no file behind (nor an old one changed) unless it had some before.
    const had = Object.keys(this.state.schedules).length > 0;
    this.state = { version: 1, schedules: kept };
    if (had || this.o.schedules.length) this.save();
    for (const s of this.o.schedules) this.arm(s);
  }

  /** Stop firing; cancel this scheduler's running deploys (SIGINT: they release the lock) and wait until their results are recorded. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const f of this.inFlight.values()) if (f.action) this.o.runner.cancel(f.action.key);
    await Promise.all([...this.inFlight.values()].map((f) => f.done));
  }

  /** Every schedule as the API shows it. */
  list(): ScheduleView[] {
    const t = this.o.now();
    return this.o.schedules.map((s) => {
      const e = this.state.schedules[s.name];
      const next = nextSlot(s.cron, s.timezone, t);
      return {
        name: s.name,
        env: s.env,
        cron: s.cron,
        timezone: s.timezone,
        ref: s.ref ?? null,
        component: s.component ?? null,
        next: next ? next.toISOString() : null,
        lastSlot: e?.lastSlot ?? null,
        last: e?.last ?? null,
        missed: e?.missed ?? [],
      };
    });
  }

  /** Settles when no scheduled deploy is running (tests). */
  async idle(): Promise<void> {
    await Promise.all([...this.inFlight.values()].map((f) => f.done));
  }

  private arm(s: ScheduleSpec): void {
    if (this.stopped) return;
    const e = this.state.schedules[s.name]!;
    const t = this.o.now();
    const after = e.lastSlot && new Date(e.lastSlot) > t ? new Date(e.lastSlot) : t;
    const next = nextSlot(s.cron, s.timezone, after);
    if (!next) return;
    const wait = Math.max(0, Math.min(next.getTime() - t.getTime(), MAX_SLEEP_MS));
    const timer = setTimeout(() => this.wake(s, next), wait);
    timer.unref();
    this.timers.set(s.name, timer);
  }

  private wake(s: ScheduleSpec, planned: Date): void {
    this.timers.delete(s.name);
    if (this.stopped) return;
    const t = this.o.now();
    if (t < planned) {
      this.arm(s);
      return;
    }
    const e = this.state.schedules[s.name]!;
    // Every slot since the last handled one that is due: the newest within the grace time fires, older ones are missed.
    const due = slotsBetween(s.cron, s.timezone, new Date(e.lastSlot ?? e.since), t, MAX_MISSED);
    const newest = due.at(-1);
    const fire = newest && t.getTime() - newest.getTime() <= this.graceMs ? newest : null;
    const missed = fire ? due.slice(0, -1) : due;
    if (missed.length) this.markMissed(s, e, missed, "the server woke too late");
    if (fire) {
      if (this.inFlight.has(s.name)) this.markMissed(s, e, [fire], "the previous scheduled deploy is still running");
      else this.fire(s, e, fire);
    }
    this.save();
    this.arm(s);
  }

  private markMissed(s: ScheduleSpec, e: Entry, slots: Date[], why: string): void {
    for (const slot of slots) this.o.log(`schedule ${s.name}: missed slot ${slot.toISOString()} (${why}); not run late`);
    e.missed = [...e.missed, ...slots.map((d) => d.toISOString())].slice(-MAX_MISSED);
    e.lastSlot = slots.at(-1)!.toISOString();
  }

  private fire(s: ScheduleSpec, e: Entry, slot: Date): void {
    const iso = slot.toISOString();
    // The slot is handled from this moment: a crash mid-deploy must not make the next start run it again.
    e.lastSlot = iso;
    e.last = { slot: iso, outcome: "running", runId: null, at: this.o.now().toISOString(), detail: null };
    const f: { action: RunningAction | null; done: Promise<void> } = { action: null, done: Promise.resolve() };
    f.done = this.runSlot(s, e, slot, f)
      .catch((err: Error) => this.finish(s, e, iso, "error", null, err.message))
      .finally(() => this.inFlight.delete(s.name));
    this.inFlight.set(s.name, f);
  }

  private async runSlot(s: ScheduleSpec, e: Entry, slot: Date, f: { action: RunningAction | null }): Promise<void> {
    const iso = slot.toISOString();
    const claim = await this.o.claim(s, slot);
    if (!claim.ok) return this.finish(s, e, iso, claim.taken ? "skipped" : "error", null, claim.detail);
    if (this.stopped) return this.finish(s, e, iso, "interrupted", null, "the server stopped before the deploy started");
    const args = deployArgs(s, slot);
    this.o.log(`schedule ${s.name}: deploying slot ${iso}: slipway ${s.env} ${args.join(" ")}`);
    const a = this.o.runner.start({ env: s.env, args, user: `schedule:${s.name}` });
    f.action = a;
    const run = await this.o.runner.runOf(this.o.store as StateStore, a);
    if (run && e.last?.slot === iso) {
      e.last.runId = run.id;
      this.save();
    }
    const out = await a.done;
    const final = run ? await this.o.store.getRun(run.id) : null;
    const { outcome, detail } = judge(out, final?.outcome ?? null);
    this.finish(s, e, iso, outcome, run?.id ?? null, detail);
  }

  private finish(s: ScheduleSpec, e: Entry, slot: string, outcome: string, runId: number | null, detail: string | null): void {
    e.last = { slot, outcome, runId, at: this.o.now().toISOString(), detail };
    this.o.log(`schedule ${s.name}: slot ${slot}: ${outcome}${runId ? ` (run ${runId})` : ""}${detail ? `: ${detail.split("\n").at(-1)}` : ""}`);
    this.save();
  }

  private save(): void {
    try {
      writeScheduleState(this.o.stateDir, this.state);
    } catch (err) {
      this.o.log(`schedules: cannot write ${path.join(this.o.stateDir, STATE_FILE)}: ${(err as Error).message}`);
    }
  }
}

/** A finished deploy's result: the run's outcome when it recorded one, else the exit; a held lock reads as skipped. */
export function judge(out: CliOutcome, runOutcome: string | null): { outcome: string; detail: string | null } {
  const holder = out.code === 0 ? null : lockHolder(out.stderr);
  if (holder) return { outcome: "skipped", detail: `lock held by ${holder}: ${tail(out.stderr)}` };
  if (out.code === 0) return { outcome: runOutcome ?? "ok", detail: null };
  const why = tail(out.stderr) || (out.signal ? `killed by ${out.signal}` : `exit ${out.code}`);
  return { outcome: runOutcome && runOutcome !== "running" ? runOutcome : out.signal ? "interrupted" : "refused", detail: why };
}
