/** The few typed errors the CLI's single top-level handler knows how to print. */

/** Bad usage or bad config: exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Config problems, all of them at once, each with its key path. */
export class ConfigError extends UsageError {
  override name = "ConfigError";
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(problems.length === 1 ? `${file}: ${problems[0]}` : `${file}: ${problems.length} problems\n` + problems.map((p) => `  - ${p}`).join("\n"));
  }
}

/** An operation that ran and failed: exit code 1. */
export class OperationError extends Error {
  override name = "OperationError";
}

/** A remote or local command exited non-zero. */
export class CommandError extends OperationError {
  override name = "CommandError";
  constructor(
    readonly host: string,
    readonly phase: string,
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderrTail: string,
  ) {
    super(`${host}: ${phase} failed: \`${command}\` exited with ${exitCode ?? "a signal"}${stderrTail ? `\n${indent(stderrTail)}` : ""}`);
  }
}

/** A host did not finish a step within its time limit: it hangs, or stopped answering. */
export class StepTimeoutError extends OperationError {
  override name = "StepTimeoutError";
  constructor(
    readonly host: string,
    readonly phase: string,
    readonly ms: number,
    readonly command: string | null,
  ) {
    super(
      `${host}: ${phase} timed out after ${formatSeconds(ms)}${command ? ` in \`${command}\`` : ""}: the host stopped answering or the step hangs (limit: timeouts.${phase})`,
    );
  }
}

const formatSeconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`);

/** The environment lock is held by someone else. */
export class LockHeldError extends OperationError {
  override name = "LockHeldError";
}

/** Ctrl-C or SIGTERM. */
export class InterruptedError extends OperationError {
  override name = "InterruptedError";
  constructor() {
    super("interrupted");
  }
}

export function indent(text: string, pad = "    "): string {
  return text
    .split("\n")
    .map((l) => pad + l)
    .join("\n");
}

/** Thrown after a failure has already been printed, so main() only sets the exit code. */
export class Reported extends Error {
  constructor(readonly exitCode: number) {
    super("reported");
  }
}
