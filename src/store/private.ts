/**
 * The control machine's state (store, run logs) holds who deployed what and every output line:
 * only the operator may read it. Modes are set explicitly, and fixed on open for directories and
 * files an older version created world-readable.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from "node:fs";

/** mkdir -p with 0700 on the last level, correcting an existing directory's mode. */
export function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // $SLIPWAY_STATE_DIR pointed at a shared sticky directory (/tmp): never lock others out of it;
  // the files inside are 0600 anyway.
  if (statSync(dir).mode & 0o1000) return;
  chmodSync(dir, 0o700);
}

/** Create the file 0600 if missing (so it is never readable by others, not even briefly), else fix its mode. */
export function privateFile(file: string): void {
  closeSync(openSync(file, "a", 0o600));
  chmodSync(file, 0o600);
}

/** Fix the mode of a file only if it exists (SQLite's -wal/-shm come and go). */
export function privateIfExists(file: string): void {
  if (existsSync(file)) chmodSync(file, 0o600);
}
