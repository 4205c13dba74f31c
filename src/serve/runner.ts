/**
 * How `slipway serve` acts: every action (a deploy from the page, a chat command, a scheduled
 * deploy) runs the real CLI as a child process, with an argument vector and no shell. So an action
 * from the dashboard takes the very path a person's terminal takes (gates, windows, the lock, the
 * journal, the state store, notifications), a crash of one action cannot take the server down, and
 * cancelling is what Ctrl-C is: SIGINT, after which the CLI stops cleanly and releases the lock.
 *
 * The child is told who acts (SLIPWAY_USER, recorded in the lock and history) and the key of its
 * run (SLIPWAY_RUN_KEY), by which the server finds the run in the state store to stream its log.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import type { RunRecord, StateStore } from "../store/store.js";

/** One CLI call: `slipway -c <config> <env> <verb> ...args` (env null: a verb without one, e.g. `tokens`). */
export interface CliCall {
  env: string | null;
  args: string[];
  /** Who asks: a token name, a chat user, `schedule:<name>`; becomes SLIPWAY_USER. */
  user: string;
}

export interface CliOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningAction {
  key: string;
  call: CliCall;
  startedAt: string;
  child: ChildProcess;
  /** Settles when the child exits, with the tail of what it printed. */
  done: Promise<CliOutcome>;
  cancelled: boolean;
  /** The run it recorded in the state store, once known (runOf). */
  runId?: number;
}

export interface RunnerOptions {
  /** The CLI entry point (the running bundle) and the config it is given. */
  cliPath: string;
  configPath: string;
  cwd: string;
  /** Extra environment for every child (tests inject SLIPWAY_NOW, a state dir...). */
  env?: Record<string, string>;
}

/** Output kept per child: enough for a failure's explanation, bounded for a chatty deploy. */
const KEEP_BYTES = 64 * 1024;

/** A user name as SLIPWAY_USER takes it: what the lock and history show, nothing that could confuse them. */
export function actorName(raw: string): string {
  const clean = raw.replace(/[^A-Za-z0-9_.:-]/g, "_").slice(0, 64);
  return clean || "unknown";
}

export class ActionRunner {
  private readonly running = new Map<string, RunningAction>();

  constructor(private readonly o: RunnerOptions) {}

  /** Run a call to its end (plans, lock, approve): its output is the answer. */
  async capture(call: CliCall): Promise<CliOutcome> {
    return this.spawn(call, randomUUID()).done;
  }

  /** Start a long action (deploy, rollback) and return at once; its log is read from the store by key. */
  start(call: CliCall): RunningAction {
    const key = randomUUID();
    const a = this.spawn(call, key);
    this.running.set(key, a);
    void a.done.finally(() => this.running.delete(key));
    return a;
  }

  get(key: string): RunningAction | undefined {
    return this.running.get(key);
  }

  list(): RunningAction[] {
    return [...this.running.values()];
  }

  /** Ctrl-C for a running action: SIGINT once (the CLI then cleans up and releases its lock). False: not running here. */
  cancel(key: string): boolean {
    const a = this.running.get(key);
    if (!a || a.child.exitCode !== null) return false;
    if (!a.cancelled) a.child.kill("SIGINT");
    a.cancelled = true;
    return true;
  }

  /** The run a started action recorded, once the CLI has begun it in the store (null: it exited first, or timed out). */
  async runOf(store: StateStore, a: RunningAction, timeoutMs = 15_000): Promise<RunRecord | null> {
    const until = Date.now() + timeoutMs;
    let exited = false;
    void a.done.then(() => (exited = true));
    for (;;) {
      const r = await store.runByKey(a.key);
      if (r) {
        a.runId = r.id;
        return r;
      }
      // One more look after the exit: the run may have been recorded just before it.
      if (exited) return store.runByKey(a.key);
      if (Date.now() > until) return null;
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  /** SIGINT every running action and wait for them (the server is stopping). */
  async stopAll(): Promise<void> {
    const all = this.list();
    for (const a of all) this.cancel(a.key);
    await Promise.all(all.map((a) => a.done));
  }

  private spawn(call: CliCall, key: string): RunningAction {
    const argv = [this.o.cliPath, "-c", this.o.configPath, ...(call.env ? [call.env] : []), ...call.args];
    const child = spawn(process.execPath, argv, {
      cwd: this.o.cwd,
      env: { ...process.env, ...this.o.env, SLIPWAY_USER: actorName(call.user), SLIPWAY_RUN_KEY: key, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const keep = (s: string, c: string) => (s + c).slice(-KEEP_BYTES);
    child.stdout!.setEncoding("utf8").on("data", (c: string) => (stdout = keep(stdout, c)));
    child.stderr!.setEncoding("utf8").on("data", (c: string) => (stderr = keep(stderr, c)));
    const done = new Promise<CliOutcome>((resolve) => {
      child.on("error", (e) => resolve({ code: null, signal: null, stdout, stderr: `${stderr}${e.message}\n` }));
      child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
    return { key, call, startedAt: new Date().toISOString(), child, done, cancelled: false };
  }
}
