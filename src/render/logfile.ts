/** Every run's full log (all output lines, every event) is saved; its path is printed at the end. */
import { appendFileSync, readdirSync } from "node:fs";
import path from "node:path";
import type { EventSink, SlipwayEvent, Timed } from "../events/types.js";
import { formatPlain } from "./plain.js";
import { sanitizeTerminal } from "./sanitize.js";
import { privateDir, privateFile, privateIfExists } from "../store/private.js";

/**
 * `<time>-<env>-<verb>-<pid>.log`, with every character outside `[A-Za-z0-9._-]` made `-`: verbs
 * such as "lock acquire" or "prestep <name>" would otherwise put spaces (or worse) in the name.
 */
export function logFileName(started: Date, env: string, verb: string, pid: number): string {
  const time = started.toISOString().replace(/[:.]/g, "-");
  return `${time}-${env}-${verb}-${pid}`.replace(/[^A-Za-z0-9._-]/g, "-") + ".log";
}

/** Writes every event, output lines included, to the run's log file (owner-only). */
export class LogFileSink implements EventSink {
  constructor(readonly file: string) {
    // The log holds every output line: only the operator may read it.
    privateDir(path.dirname(file));
    // Logs written by older versions were world-readable.
    for (const f of readdirSync(path.dirname(file))) if (f.endsWith(".log")) privateIfExists(path.join(path.dirname(file), f));
    privateFile(file);
  }
  handle(e: Timed<SlipwayEvent>): void {
    const text = formatPlain(e, true);
    if (text !== null)
      appendFileSync(
        this.file,
        sanitizeTerminal(text)
          .split("\n")
          .map((l) => `${e.ts} ${l}`)
          .join("\n") + "\n",
      );
  }
}
