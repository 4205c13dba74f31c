/** A downtime announcement as stored on the primary (`.slipway/announcements/<id>.json`). */
import { z } from "zod";
import { parseRecords } from "./records-input.js";

const iso = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { error: "expected an ISO time" });
const fact = z.string().min(1).max(2000);

export const announcementSchema = z
  .object({
    id: z.string(),
    made: iso,
    by: z.string().max(200),
    start: iso,
    durationMin: z.number().int().positive(),
    timezone: z.string().min(1).max(100),
    nature: fact,
    affected: fact,
    experience: fact,
  })
  .strict();

export type Announcement = z.infer<typeof announcementSchema>;

export const parseAnnouncements = (out: string) => parseRecords(out, announcementSchema, "announcement");
