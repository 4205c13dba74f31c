/** `environments.<env>.windows`: when deploys may start (allow), when they may not (deny, freezes), and the extra rules for deploys with downtime. */
import { Cron } from "croner";
import { z } from "zod";
import { parseLocal, validTimezone } from "../zoned.js";

const SPAN = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$/;

/** `8h`, `45m`, `1h30m`, `2d` → milliseconds (null when malformed or zero). */
export function spanMs(text: string): number | null {
  const m = SPAN.exec(text.trim());
  if (!m || !text.trim()) return null;
  const ms = (Number(m[1] ?? 0) * 24 * 60 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0)) * 60_000;
  return ms > 0 ? ms : null;
}

const timezone = z
  .string()
  .refine(validTimezone, { error: "expected an IANA timezone name (e.g. Europe/Berlin, America/New_York, UTC)" })
  .describe("IANA timezone the rule's cron and dates are read in (default: `windows.timezone`).");
/** A five-field cron expression croner accepts (windows and `schedule:` use the same rule). */
export function fiveFieldCron(c: string): boolean {
  try {
    new Cron(c, { paused: true });
    return c.trim().split(/\s+/).length === 5;
  } catch {
    return false;
  }
}

const cron = z
  .string()
  .refine(fiveFieldCron, { error: 'expected a five-field cron expression (minute hour day-of-month month day-of-week), e.g. "0 9 * * 1-5"' })
  .describe('When each window starts: a five-field cron expression read in the timezone, e.g. `"0 9 * * 1-5"` (09:00 Monday to Friday).');
const duration = z
  .string()
  .refine((d) => spanMs(d) !== null, { error: "expected a duration like 8h, 45m, 1h30m or 2d" })
  .describe("How long each window lasts from its start (elapsed time: `8h`, `45m`, `1h30m`, `2d`).");
const localTime = z.string().refine((t) => parseLocal(t, "UTC") !== null, { error: 'expected a local date or time: "2026-12-20" or "2026-12-20 18:00"' });
const ruleName = z
  .string()
  .regex(/^[^\n\r]{1,80}$/, { error: "expected a short one-line name" })
  .describe("Name shown when the rule decides (e.g. `christmas freeze`).");

const reason = z.string().max(200).optional().describe("Why (shown in a refusal).");
const rules = (named: boolean) =>
  z
    .object({
      cron: cron.optional(),
      duration: duration.optional(),
      from: localTime.optional().describe("Start of a one-off window, in the timezone: `2026-12-20` (its midnight) or `2026-12-20 18:00`."),
      until: localTime.optional().describe("End of a one-off window, in the timezone: a date alone means the end of that day; a time is exclusive."),
      name: named ? ruleName : ruleName.optional(),
      timezone: timezone.optional(),
      reason,
    })
    .strict()
    .superRefine((r, ctx) => {
      const bad = (message: string) => ctx.addIssue({ code: "custom", message });
      if (r.cron !== undefined && r.from !== undefined) bad("a rule has either `cron` (with `duration`) or `from` (with `until` or `duration`), not both");
      else if (r.cron !== undefined) {
        if (r.duration === undefined) bad("a cron rule needs `duration` (e.g. 8h)");
        if (r.until !== undefined) bad("`until` goes with `from`, not with `cron`");
      } else if (r.from !== undefined) {
        if ((r.until === undefined) === (r.duration === undefined)) bad("a dated rule needs exactly one of `until` or `duration`");
      } else bad("a rule needs `cron` and `duration`, or `from` with `until` or `duration`");
    });

export const windowRuleSchema = rules(false).describe("A cron start plus a duration, or explicit dates (`from` with `until` or `duration`).");
const denyRuleSchema = rules(true).describe("A cron start plus a duration, or explicit dates for a one-off freeze; `name` is required.");

const ruleLists = {
  allow: z.array(windowRuleSchema).default([]).describe("Windows in which a deploy may start. None: always allowed (unless denied)."),
  deny: z.array(denyRuleSchema).default([]).describe("Windows in which no deploy may start (freezes); a deny always wins over an allow."),
};

export const windowsSchema = z
  .object({
    timezone: timezone.default("UTC").describe("IANA timezone of every rule without its own (default UTC)."),
    ...ruleLists,
    downtime: z
      .object(ruleLists)
      .strict()
      .default({ allow: [], deny: [] })
      .describe(
        "Further rules for a deploy that needs downtime (its alters, the downtime command, or `--downtime`): it must satisfy these as well as the rules above.",
      ),
  })
  .strict()
  .optional()
  .describe(
    "Deploy windows and freezes: `deploy` is refused outside them (gate `windows`; `--override windows -m why` for an emergency). Rollbacks are not gated.",
  );
