/** `gates:` of an environment: what must hold before a deploy starts (CI, metrics, other environments, approvals). */
import { z } from "zod";

const varName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "expected a secret_env name" });
const envName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { error: "expected an environment name" });
const person = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, { error: "expected a user name (the user part of SLIPWAY_USER)" });
const duration = z.string().regex(/^\d+(s|m|h|d)$/, { error: "expected a duration like 30m, 2h or 1d" });
const jsonPath = z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, { error: "expected a dotted path like state or data.0.value" });

const httpSource = {
  url: z
    .string()
    .regex(/^https?:\/\//, { error: "expected an http(s) URL" })
    .describe("URL to GET; `{commit}` is replaced with the full commit."),
  json_path: jsonPath.optional().describe("Dotted path of the value in the JSON answer (e.g. `state`, `data.0.value`); absent: the whole body."),
  token_secret: varName.optional().describe("A secret (secret_env or secrets file) sent as `Authorization: Bearer <value>`; redacted."),
  timeout: duration.default("10s").describe("How long to wait for the answer."),
};

const ciSchema = z
  .union([
    z.object({ ...httpSource, success: z.string().min(1).default("success").describe("The value that means the commit passed.") }).strict(),
    z
      .object({
        command: z.string().min(1).describe("Run on the control machine with SLIPWAY_COMMIT and SLIPWAY_REF set; exit 0 means CI passed."),
        timeout: duration.default("60s"),
      })
      .strict(),
  ])
  .describe("The commit's CI status: an HTTP endpoint (url, json_path, success) or a command's exit code.");

const metricSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/)
      .describe("Shown in the gate line (e.g. requests_per_minute)."),
    url: httpSource.url.optional(),
    json_path: httpSource.json_path,
    token_secret: httpSource.token_secret,
    command: z.string().min(1).optional().describe("Run on the control machine; its output (or json_path of it) is the number."),
    timeout: duration.default("10s"),
    below: z.number().optional().describe("The value must be under this."),
    above: z.number().optional().describe("The value must be over this."),
  })
  .strict()
  .refine((m) => (m.url === undefined) !== (m.command === undefined), { error: "give exactly one of url or command" })
  .refine((m) => m.below !== undefined || m.above !== undefined, { error: "give below and/or above" });

const requiresSchema = z
  .object({
    env: envName.describe("The other environment."),
    component: z.string().min(1).optional().describe("Its component (default: the app)."),
    commit: z
      .string()
      .regex(/^(same|[0-9a-f]{7,40})$/, { error: "expected same or a commit (7-40 hex)" })
      .default("same")
      .describe("`same`: it must run exactly the commit being deployed; a commit (or its first 7+ hex digits): it must run exactly that commit."),
  })
  .strict();

export const gatesSchema = z
  .object({
    ci: ciSchema.optional(),
    metric: z.array(metricSchema).default([]).describe("Numbers that must be under/over a threshold, checked at the start and again right before the switch."),
    requires: z.array(requiresSchema).default([]).describe("Other environments (or components) that must already run a given commit."),
    promoted_from: z
      .object({
        env: envName.describe("The environment the commit must come from (e.g. qa)."),
        min_age: duration.default("0s").describe("How long it must have been current there, after an ok deploy, with no failed deploy since."),
      })
      .strict()
      .optional(),
    approvals: z
      .object({
        required: z.number().int().min(1).describe("Distinct approvers needed for this exact commit."),
        from: z.array(person).min(1).describe("Who may approve (user part of SLIPWAY_USER / the login)."),
        no_self_approval: z.boolean().default(true).describe("The deployer's own approval does not count."),
      })
      .strict()
      .optional(),
  })
  .strict()
  .optional()
  .describe("Preflight gates of this environment (see README, Governance).");
