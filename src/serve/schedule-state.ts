/**
 * `<state dir>/schedules.json`: each schedule's last handled slot, last result and missed slots, kept
 * between runs of `slipway serve` so a slot that passed while no server ran is reported, not run.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

export const STATE_FILE = "schedules.json";

/** The state file's shape: checked when read, since a hand-edited or truncated file must not stop the server. */
const resultSchema = z.object({ slot: z.string(), outcome: z.string(), runId: z.number().nullable(), at: z.string(), detail: z.string().nullable() });
const entrySchema = z.object({
  cron: z.string(),
  timezone: z.string(),
  /** Watched since: missed slots are counted from here when no slot was handled yet. */
  since: z.string(),
  lastSlot: z.string().nullable(),
  last: resultSchema.nullable(),
  missed: z.array(z.string()),
});
const fileSchema = z.object({ version: z.literal(1), schedules: z.record(z.string(), entrySchema) });
export type Entry = z.infer<typeof entrySchema>;
export type ScheduleState = z.infer<typeof fileSchema>;

/** The state file, or an empty state when there is none; a file that does not parse is reported and replaced. */
export function readScheduleState(stateDir: string, log: (line: string) => void = () => {}): ScheduleState {
  const file = path.join(stateDir, STATE_FILE);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") log(`schedules: cannot read ${file}: ${(e as Error).message}; starting without it`);
    return { version: 1, schedules: {} };
  }
  try {
    return fileSchema.parse(JSON.parse(text));
  } catch {
    log(`schedules: ${file} is not a schedule state file; starting without it (no missed slots can be reported this time)`);
    return { version: 1, schedules: {} };
  }
}

/** Write the state atomically (a temporary file renamed over the old one): a crash leaves the old file or the new one, never half. */
export function writeScheduleState(stateDir: string, state: ScheduleState): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const file = path.join(stateDir, STATE_FILE);
  const tmp = `${file}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}
