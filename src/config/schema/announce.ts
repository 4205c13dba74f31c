/** `environments.<env>.announce`: the timezone announcements are written in and how far ahead downtime must be announced. */
import { z } from "zod";

const validZone = (tz: string) => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

export const announceSchema = z
  .object({
    timezone: z
      .string()
      .min(1)
      .refine(validZone, { error: "expected an IANA timezone such as Europe/London" })
      .default("UTC")
      .describe("IANA timezone of the users: `announce --start` is read in it and announcements are shown in it."),
    hours: z.number().min(0).default(72).describe("A deploy that needs downtime needs an announcement made at least this many hours before."),
  })
  .strict()
  .optional()
  .describe("Downtime announcements (`slipway <env> announce`); when set, a deploy that needs downtime must be announced (the `announcement` gate).");
