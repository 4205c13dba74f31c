/** The typed event stream every renderer, the run log and the state store consume. */

export type HostPhaseStatus = "running" | "done" | "failed" | "skipped";

export type SlipwayEvent =
  | {
      type: "run:start";
      verb: string;
      env: string;
      hosts: string[];
      releaseId?: string;
      commit?: string;
      ref?: string;
      /** When the commit was made (committer date, UTC ISO), if a repository on this machine has it: the metrics' lead time. */
      commitTime?: string;
    }
  | { type: "phase:start"; phase: string; hosts: string[] }
  | { type: "phase:end"; phase: string; ok: boolean }
  | { type: "host:phase"; host: string; phase: string; status: HostPhaseStatus; ms?: number /** journaled step: input hash */; hash?: string }
  | { type: "output"; host: string; phase: string; stream: "stdout" | "stderr"; line: string }
  | { type: "command:failed"; host: string; phase: string; command: string; exitCode: number | null; stderrTail: string }
  | { type: "stats"; roundTrips: Record<string, number>; connectMs?: Record<string, number> }
  | { type: "info"; message: string; host?: string }
  | { type: "warn"; message: string; host?: string }
  | { type: "run:end"; ok: boolean; summary: string[]; durationMs: number; logPath?: string };

export type Timed<E> = E & { ts: string };

export interface EventSink {
  handle(e: Timed<SlipwayEvent>): void;
  /** Called once at the end; renderers flush here. */
  close?(): void | Promise<void>;
}
