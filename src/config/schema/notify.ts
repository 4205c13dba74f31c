/** `notify`: webhooks and email for deploy and rollback events. */
import { z } from "zod";

/** Events a notification can subscribe to. */
export const NOTIFY_EVENTS = [
  "deploy.started",
  "deploy.succeeded",
  "deploy.failed",
  "rollback.succeeded",
  "rollback.failed",
  "prestep.finished",
  "announcement",
] as const;
const notifyEvents = z.array(z.enum(NOTIFY_EVENTS)).optional().describe("Which events (default: all).");

/** `notify`: JSON webhooks and SMTP email. */
export const notifySchema = z
  .object({
    webhooks: z
      .array(
        z
          .object({
            url: z.string().min(1).optional().describe("Where to POST the JSON (Slack-compatible: has `text`)."),
            url_env: z
              .string()
              .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
              .optional()
              .describe("Read the URL from this variable instead (webhook URLs are secrets); redacted everywhere."),
            events: notifyEvents,
          })
          .strict(),
      )
      .default([])
      .describe("JSON webhooks."),
    email: z
      .object({
        smtp: z
          .object({
            host: z.string().min(1),
            port: z.number().int().min(1).max(65535).default(587),
            secure: z.boolean().default(false).describe("TLS from the start (port 465); otherwise STARTTLS when offered."),
            user: z.string().optional(),
            password_env: z
              .string()
              .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
              .optional()
              .describe("Variable holding the SMTP password; redacted everywhere."),
          })
          .strict(),
        from: z.string().min(3),
        to: z.array(z.string().min(3)).min(1),
        events: notifyEvents,
      })
      .strict()
      .optional()
      .describe("Email over SMTP."),
  })
  .strict()
  .describe("Notifications for deploy started/succeeded/failed, rollbacks and finished pre-steps.");
