/** Runs a compiled HostScript on an executor, turning markers into events and failures into CommandError. */
import { CommandError, InterruptedError, StepTimeoutError } from "../errors.js";
import type { EventBus } from "../events/bus.js";
import { compileScript, parseMarker, sectionHash, type HostScript } from "../commands/script.js";
import { setMaxListeners } from "node:events";
import type { Readable } from "node:stream";
import type { Executor } from "./executor.js";

const TAIL_LINES = 15;

/** Splits a stream of chunks into lines. */
export function lineSplitter(onLine: (line: string) => void): { push(chunk: string): void; flush(): void } {
  let buf = "";
  return {
    push(chunk) {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        onLine(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    },
    flush() {
      if (buf) onLine(buf);
      buf = "";
    },
  };
}

export interface RunScriptOptions {
  bus: EventBus;
  signal?: AbortSignal;
  /** Receives the script's stdout lines (data the caller parses) instead of the bus as output events. */
  stdout?: (line: string, phase: string) => void;
  /** Data sent after the script, for its payload section (Section.payload) to read. */
  payload?: Buffer | Readable;
}

/**
 * Run every section of a host's script in one round trip. Emits host:phase events as sections
 * start and finish; throws CommandError naming the failed command with its own stderr tail.
 */
export async function runHostScript(ex: Executor, script: HostScript, { bus, signal, stdout, payload }: RunScriptOptions): Promise<void> {
  const host = ex.host.name;
  if (script.sections.length === 0) return;
  let current = { section: -1, command: -1 };
  let failed: { section: number; command: number; code: number } | null = null;
  let tail: string[] = [];
  const started = new Set<number>();
  const t0 = Date.now();
  let sectionStart = t0;
  const phaseOf = (s: number) => script.sections[s]?.phase ?? "?";
  let onSection: (section: number) => void = () => {};

  const err = lineSplitter((line) => {
    const m = parseMarker(line);
    if (!m) {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      bus.emit({ type: "output", host, phase: phaseOf(current.section), stream: "stderr", line });
      return;
    }
    if (m.kind === "S") {
      if (!started.has(m.section)) {
        started.add(m.section);
        onSection(m.section);
        sectionStart = Date.now();
        bus.emit({ type: "host:phase", host, phase: phaseOf(m.section), status: "running" });
      }
      current = { section: m.section, command: m.command };
      tail = [];
    } else if (m.kind === "F") {
      failed = { section: m.section, command: m.command, code: m.code };
    } else if (m.kind === "D") {
      if (!started.has(m.section)) bus.emit({ type: "host:phase", host, phase: phaseOf(m.section), status: "running" });
      started.add(m.section);
      const sec = script.sections[m.section];
      const hash = script.journal && sec ? sectionHash(sec) : undefined;
      bus.emit({ type: "host:phase", host, phase: phaseOf(m.section), status: "done", ms: Date.now() - sectionStart, ...(hash ? { hash } : {}) });
      onSection(m.section + 1);
      sectionStart = Date.now();
    }
  });
  let stdoutSection = 0;
  const out = lineSplitter((line) => {
    const m = parseMarker(line);
    if (m) {
      if (m.kind === "S") stdoutSection = m.section;
      return;
    }
    if (stdout) stdout(line, phaseOf(stdoutSection));
    else bus.emit({ type: "output", host, phase: phaseOf(stdoutSection), stream: "stdout", line });
  });

  // Each section's time limit runs from when the previous one finished (or the script started),
  // so a host that freezes before a step even begins is caught as surely as one that hangs in it.
  const limit = sectionTimer(script, (section, ms) => {
    const command = started.has(section) ? (script.sections[section]?.commands[Math.max(0, current.command)]?.display ?? null) : null;
    return new StepTimeoutError(host, phaseOf(section), ms, command);
  });
  const { stop, unlink } = linkedAbort(signal);
  let res: Awaited<ReturnType<Executor["script"]>>;
  onSection = limit.arm;
  try {
    limit.arm(0);
    const running = ex.script(compileScript(script), { stdin: payload, onStdout: (c) => out.push(c), onStderr: (c) => err.push(c), signal: stop.signal });
    running.catch(() => {}); // after a timeout nobody awaits it; its end is of no interest
    res = await Promise.race([running, limit.expired]);
  } catch (e) {
    if (e instanceof StepTimeoutError) {
      stop.abort(e);
      ex.abandon?.();
      bus.emit({ type: "host:phase", host, phase: e.phase, status: "failed", ms: Date.now() - sectionStart });
    }
    throw e;
  } finally {
    limit.clear();
    unlink();
  }
  out.flush();
  err.flush();
  if (signal?.aborted) {
    bus.emit({ type: "host:phase", host, phase: phaseOf(Math.max(0, current.section)), status: "failed" });
    throw new InterruptedError();
  }
  if (res.code === 0 && !failed) return;
  const f = failed ?? { section: Math.max(0, current.section), command: Math.max(0, current.command), code: res.code ?? -1 };
  const phase = phaseOf(f.section);
  const command = script.sections[f.section]?.commands[f.command]?.display ?? "(script)";
  const stderrTail = tail.join("\n").trim();
  const exitCode = res.code === null ? null : f.code;
  bus.emit({ type: "host:phase", host, phase, status: "failed", ms: Date.now() - sectionStart });
  bus.emit({ type: "command:failed", host, phase, command, exitCode, stderrTail });
  throw new CommandError(host, phase, command, exitCode, stderrTail);
}

/**
 * A controller of our own that also aborts when `signal` does. Every host in flight listens on
 * the run's one signal (up to --parallel of them), so Node's 10-listener leak warning does not apply.
 */
function linkedAbort(signal?: AbortSignal): { stop: AbortController; unlink: () => void } {
  const stop = new AbortController();
  if (!signal) return { stop, unlink: () => {} };
  setMaxListeners(0, signal);
  const forward = () => stop.abort(signal.reason);
  signal.addEventListener("abort", forward, { once: true });
  return { stop, unlink: () => signal.removeEventListener("abort", forward) };
}

/**
 * One timer per host script: `arm(i)` starts section i's limit (replacing the previous one);
 * `expired` rejects with the error `make` builds when a limit runs out.
 */
function sectionTimer(script: HostScript, make: (section: number, ms: number) => Error) {
  let timer: NodeJS.Timeout | undefined;
  let fail: (e: Error) => void = () => {};
  const expired = new Promise<never>((_, reject) => (fail = reject));
  expired.catch(() => {});
  return {
    expired,
    arm(section: number) {
      clearTimeout(timer);
      const ms = script.sections[section]?.timeoutMs;
      if (ms) timer = setTimeout(() => fail(make(section, ms)), ms);
    },
    clear: () => clearTimeout(timer),
  };
}

/** Run a single command and return its stdout; throws CommandError on a non-zero exit. */
export async function capture(
  ex: Executor,
  phase: string,
  commandLine: string,
  display = commandLine,
  signal?: AbortSignal,
  timeoutMs?: number,
): Promise<string> {
  const limit = sectionTimer({ env: {}, sections: [{ phase, commands: [], timeoutMs }] }, (_, ms) => new StepTimeoutError(ex.host.name, phase, ms, display));
  const { stop, unlink } = linkedAbort(signal);
  let res: Awaited<ReturnType<Executor["exec"]>>;
  try {
    limit.arm(0);
    const running = ex.exec(commandLine, { signal: stop.signal });
    running.catch(() => {});
    res = await Promise.race([running, limit.expired]);
  } catch (e) {
    if (e instanceof StepTimeoutError) {
      stop.abort(e);
      ex.abandon?.();
    }
    throw e;
  } finally {
    limit.clear();
    unlink();
  }
  if (signal?.aborted) throw new InterruptedError();
  if (res.code !== 0) {
    const tail = res.stderr.trim().split("\n").slice(-TAIL_LINES).join("\n");
    throw new CommandError(ex.host.name, phase, display, res.code, tail);
  }
  return res.stdout;
}
