/** Reading and writing announcements and manual tasks on the environment's primary. */
import { randomBytes } from "node:crypto";
import { pathsFor } from "../config/paths.js";
import { currentRelease, listRecords, type RecordKind, writeRecord } from "../commands/records.js";
import { capture } from "../exec/runner.js";
import { type Announcement, parseAnnouncements } from "../plan/announce-input.js";
import { parseTasks, type Task } from "../plan/tasks-input.js";
import type { RunContext } from "./context.js";

export const newRecordId = (prefix: "a" | "t") => `${prefix}-${randomBytes(3).toString("hex")}`;

async function list(ctx: RunContext, kind: RecordKind): Promise<string> {
  const h = ctx.env.primary;
  return capture(await ctx.pool.get(h), kind, listRecords(pathsFor(h.deployTo), kind), `read ${kind}`, ctx.signal);
}

export async function writeOnPrimary(ctx: RunContext, kind: RecordKind, id: string, record: object): Promise<void> {
  const h = ctx.env.primary;
  await capture(await ctx.pool.get(h), kind, writeRecord(pathsFor(h.deployTo), kind, id, JSON.stringify(record)), `write ${kind} ${id}`, ctx.signal);
}

/** The primary's announcements; `read`: the listing already read in the state round trip. */
export async function readAnnouncements(ctx: RunContext, read?: string): Promise<Announcement[]> {
  const { records, warnings } = parseAnnouncements(read ?? (await list(ctx, "announcements")));
  for (const w of warnings) ctx.bus.warn(w, ctx.env.primary.name);
  return records;
}

/** The primary's tasks; `read`: the listing already read in the state round trip. */
export async function readTasks(ctx: RunContext, read?: string): Promise<Task[]> {
  const { records, warnings } = parseTasks(read ?? (await list(ctx, "tasks")));
  for (const w of warnings) ctx.bus.warn(w, ctx.env.primary.name);
  return records;
}

/** The release `current` points at on the primary (null when none). */
export async function primaryCurrentRelease(ctx: RunContext): Promise<string | null> {
  const h = ctx.env.primary;
  const out = (await capture(await ctx.pool.get(h), "tasks", currentRelease(pathsFor(h.deployTo)), "read current", ctx.signal)).trim();
  const id = out.split("/").pop() ?? "";
  return /^[A-Za-z0-9._-]{1,100}$/.test(id) ? id : null;
}
