/** `schedule:`: deploys `slipway serve` starts by itself at cron slots (a weekly Tuesday deploy, say). */
import { z } from "zod";
import { validTimezone } from "../zoned.js";
import { name } from "./common.js";
import { fiveFieldCron } from "./windows.js";

export const scheduleEntrySchema = z
  .object({
    name: name("schedule").describe("Unique name: shown on the dashboard, and the deploy's user is `schedule:<name>`."),
    env: name("environment").describe("The environment to deploy (one of `environments`)."),
    cron: z
      .string()
      .refine(fiveFieldCron, { error: 'expected a five-field cron expression (minute hour day-of-month month day-of-week), e.g. "0 10 * * 2"' })
      .describe('When to deploy: a five-field cron expression read in `timezone`, e.g. `"0 10 * * 2"` (Tuesdays 10:00).'),
    timezone: z
      .string()
      .refine(validTimezone, { error: "expected an IANA timezone name (e.g. Europe/Berlin, America/New_York, UTC)" })
      .default("UTC")
      .describe("IANA timezone the cron is read in (DST moves the UTC instant, never the wall time)."),
    ref: z.string().min(1).optional().describe("Branch, tag or commit to deploy (default: the config's `source.ref`)."),
    message: z.string().min(1).max(200).optional().describe("Why, recorded in the lock and history (default: names the schedule and its slot)."),
    component: name("component").optional().describe("Deploy this component from `components:` instead of the app."),
  })
  .strict()
  .describe("One scheduled deploy.");

export const scheduleSchema = z
  .array(scheduleEntrySchema)
  .default([])
  .describe(
    "Deploys `slipway serve` runs at cron slots, through the same `deploy` a person runs (gates, windows and the lock apply). A slot that passes while no server runs is reported as missed, never run late; several servers with one config deploy a slot once (the first to claim it on the primary host).",
  );

export type ScheduleSpec = z.infer<typeof scheduleEntrySchema>;
