/**
 * `verify`: the commands run once after restart (a list, as before) or an object that adds a
 * verify window: checks run repeatedly after the switch, a failure of which reverts the deploy.
 */
import { z } from "zod";
import { commandSchema } from "./commands.js";
import { name } from "./common.js";

/** `5m`, `30s`, `0.5s`, `500ms`, `1h`: the window and interval need sub-second values in tests. */
export const DURATION = /^\d+(\.\d+)?(ms|s|m|h)$/;
const duration = (what: string) => z.string().regex(DURATION, { error: "expected a duration like 30s, 5m, 1h or 500ms" }).describe(what);

const checkName = name("check").optional().describe("Shown in reports and history (default: http, command or metric with its index).");

const httpCheck = z
  .object({
    name: checkName,
    http: z
      .string()
      .min(1)
      .describe("URL fetched with curl on the primary host (with `deploy --no-wait`: by every host's watcher), e.g. http://127.0.0.1:3000/health."),
    expect: z.number().int().min(100).max(599).default(200).describe("Expected HTTP status."),
    timeout: duration("Time limit of one request.").default("5s"),
  })
  .strict();

const commandCheck = z
  .object({
    name: checkName,
    command: z.string().min(1).describe("Shell command run in `current` with the app's env; exit 0 = ok."),
    roles: z
      .array(name("role"))
      .optional()
      .describe("Run it on the hosts with one of these roles (default: the primary; with `--no-wait`: every host's watcher)."),
    timeout: duration("Time limit of one run.").default("30s"),
  })
  .strict();

const metricCheck = z
  .object({
    name: checkName,
    metric: z
      .string()
      .min(1)
      .describe("URL fetched like `http`: with `query`, a Prometheus server (GET <metric>/api/v1/query); without, a body that is one number."),
    query: z.string().min(1).optional().describe("PromQL expression; the first result's value is compared with `max`."),
    max: z.number().describe("Highest acceptable value (e.g. an error rate of 0.01); a greater or unreadable value fails the check."),
    timeout: duration("Time limit of one request.").default("5s"),
  })
  .strict();

export const verifyCheckSchema = z.union([httpCheck, commandCheck, metricCheck], {
  error: "expected {http, expect}, {command} or {metric, query?, max}",
});

const verifyObject = z
  .object({
    commands: z.array(commandSchema).default([]).describe("Commands run once after restart; a failure switches every host back to the previous release."),
    window: duration("How long the checks keep running after the switch; a failing check in that time rolls back automatically (under the lock).").optional(),
    interval: duration("Pause between two rounds of checks.").default("10s"),
    checks: z.array(verifyCheckSchema).default([]).describe("Checks of the verify window (needs `window`)."),
  })
  .strict();

/** A list (the verify commands, as before) or the object; both parse to the object. */
export const verifySchema = z
  .preprocess((v) => (Array.isArray(v) ? { commands: v } : v), verifyObject)
  .describe(
    "Commands run after restart (a list), or `{ commands, window, interval, checks }`: checks repeated during the window after the switch; a failing one switches back automatically.",
  );

export type VerifySpec = z.infer<typeof verifyObject>;
export type VerifyCheckSpec = z.infer<typeof verifyCheckSchema>;

/** What an absent `verify` means: no commands, no window. */
export const NO_VERIFY: VerifySpec = { commands: [], interval: "10s", checks: [] };
