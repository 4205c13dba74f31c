/** A manual task as stored on the primary (`.slipway/tasks/<id>.json`). */
import { z } from "zod";
import { parseRecords } from "./records-input.js";

const iso = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { error: "expected an ISO time" });

export const taskSchema = z
  .object({
    id: z.string(),
    text: z.string().min(1).max(2000),
    when: z.enum(["before", "after"]),
    ref: z.string().min(1).max(200).optional(),
    made: iso,
    by: z.string().max(200),
    done: z
      .object({ at: iso, by: z.string().max(200), note: z.string().max(2000), release: z.string().max(200).nullable() })
      .strict()
      .optional(),
  })
  .strict();

export type Task = z.infer<typeof taskSchema>;

export const parseTasks = (out: string) => parseRecords(out, taskSchema, "task");
