/**
 * One executor interface, several backends (SSHKit's backends/abstract.rb). A backend only knows
 * how to execute; scripts, markers and errors are handled once in runner.ts.
 */
import { Readable } from "node:stream";
import type { Host } from "../config/resolve.js";

export interface RunOptions {
  /** Data for the command's stdin; for a script, data sent after the script text (read on fd 3, see Section.payload). */
  stdin?: Buffer | string | Readable;
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
  signal?: AbortSignal;
}

export interface RunResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

export interface Executor {
  readonly host: Host;
  /** Run a bash script (fed on stdin so secrets never show in a process list). */
  script(text: string, opts?: RunOptions): Promise<RunResult>;
  /** Run one command line, optionally streaming data to its stdin. */
  exec(commandLine: string, opts?: RunOptions): Promise<RunResult>;
  close(): Promise<void>;
  /** Give up on the connection at once (after a timeout): the next command connects afresh. */
  abandon?(): void;
}

export type ExecutorFactory = (host: Host) => Promise<Executor>;

/** What a backend feeds `bash -s`: the script, then the data its payload section reads on fd 3. */
export function scriptInput(text: string, data: RunOptions["stdin"]): Buffer | string | Readable {
  if (data === undefined) return text;
  if (data instanceof Readable)
    return Readable.from(
      (async function* () {
        yield Buffer.from(text);
        yield* data;
      })(),
    );
  return Buffer.concat([Buffer.from(text), Buffer.from(data)]);
}
