/** Plain lines for CI and pipes: one line per host per phase, failures in full. */
import type { EventSink, SlipwayEvent, Timed } from "../events/types.js";
import { sanitizeTerminal } from "./sanitize.js";

export function formatPlain(e: Timed<SlipwayEvent>, verbose: boolean): string | null {
  switch (e.type) {
    case "run:start":
      return `${e.verb} ${e.env}${e.releaseId ? ` release ${e.releaseId}` : ""}${e.commit ? ` (${e.ref ? `${e.ref} @ ` : ""}${e.commit.slice(0, 12)})` : ""} on ${e.hosts.join(", ")}`;
    case "host:phase":
      if (e.status === "running" && !verbose) return null;
      return `[${e.host}] ${e.phase} ${e.status}${e.ms !== undefined ? ` (${e.ms} ms)` : ""}`;
    case "output":
      return verbose ? `[${e.host}] ${e.phase} | ${e.line}` : null;
    case "command:failed":
      return `[${e.host}] ${e.phase} FAILED: \`${e.command}\` exited with ${e.exitCode ?? "a signal"}${
        e.stderrTail
          ? "\n" +
            e.stderrTail
              .split("\n")
              .map((l) => `[${e.host}]   ${l}`)
              .join("\n")
          : ""
      }`;
    case "stats":
      return verbose
        ? [
            `round trips per host: ${Object.entries(e.roundTrips)
              .map(([h, n]) => `${h}=${n}`)
              .join(" ")}`,
            ...connectLine(e.connectMs ?? {}),
          ].join("\n")
        : null;
    case "info":
      return `${e.host ? `[${e.host}] ` : ""}${e.message}`;
    case "warn":
      return `warning: ${e.host ? `[${e.host}] ` : ""}${e.message}`;
    case "run:end":
      // On failure the details come last: the final lines on screen name host, phase, command and stderr.
      if (e.ok) return [...e.summary, `done in ${(e.durationMs / 1000).toFixed(1)}s`, ...(e.logPath ? [`log: ${e.logPath}`] : [])].join("\n");
      return [...(e.logPath ? [`log: ${e.logPath}`] : []), `FAILED after ${(e.durationMs / 1000).toFixed(1)}s`, ...e.summary].join("\n");
    default:
      return null;
  }
}

export class PlainRenderer implements EventSink {
  constructor(
    private out: NodeJS.WritableStream = process.stderr,
    private verbose = false,
  ) {}
  handle(e: Timed<SlipwayEvent>): void {
    const line = formatPlain(e, this.verbose);
    if (line !== null) this.out.write(sanitizeTerminal(line) + "\n");
  }
}

/** For read-only verbs: their data goes to stdout; only warnings and failures reach stderr. */
export class QuietRenderer implements EventSink {
  constructor(private out: NodeJS.WritableStream = process.stderr) {}
  handle(e: Timed<SlipwayEvent>): void {
    if (e.type === "warn" || e.type === "command:failed" || (e.type === "run:end" && !e.ok)) {
      const line = formatPlain(e.type === "run:end" ? { ...e, summary: e.summary } : e, false);
      if (line !== null) this.out.write(sanitizeTerminal(line) + "\n");
    }
  }
}

/** `run`: each output line on stdout as `host | line`; failures and the summary on stderr. */
export class PrefixedRenderer implements EventSink {
  private width = 0;
  constructor(
    private out: NodeJS.WritableStream = process.stdout,
    private err: NodeJS.WritableStream = process.stderr,
  ) {}
  handle(e: Timed<SlipwayEvent>): void {
    if (e.type === "phase:start") this.width = Math.max(...e.hosts.map((h) => h.length));
    else if (e.type === "output") this.out.write(sanitizeTerminal(`${e.host.padEnd(this.width)} | ${e.line}`) + "\n");
    else if (e.type === "command:failed") this.err.write(`${sanitizeTerminal(e.host)}: exited with ${e.exitCode ?? "a signal"}\n`);
    else if (e.type === "warn" || e.type === "run:end") {
      const line = formatPlain(e, false);
      if (line !== null) this.err.write(line + "\n");
    }
  }
}

/** How long the hosts took to connect: the median and the slowest (waiting for a handshake slot included). */
function connectLine(ms: Record<string, number>): string[] {
  const all = Object.entries(ms).sort((a, b) => a[1] - b[1]);
  if (!all.length) return [];
  const [slowHost, slowMs] = all[all.length - 1]!;
  return [`connected ${all.length} host(s): median ${all[Math.floor(all.length / 2)]![1]} ms, slowest ${slowHost} ${slowMs} ms`];
}
