/** Operations beyond the deploy itself: settings files, rolling deploys, downtime and pre-steps. */
import { z } from "zod";
import { name } from "./common.js";

/** `config_files`: settings files rendered from templates and pushed by `update-config`. */
export const configFilesSchema = z
  .array(
    z
      .object({
        template: z.string().min(1).describe("Template file, relative to slipway.yml; `{{ NAME }}` is replaced from vars, secrets, env and host env."),
        dest: z.string().min(1).describe("Where it goes on the host, relative to deploy_to (e.g. shared/localsettings.py) or absolute."),
        roles: z.array(name("role")).optional().describe("Only hosts with one of these roles."),
        mode: z
          .string()
          .regex(/^0?[0-7]{3}$/, { error: "expected an octal mode like 0644" })
          .optional()
          .describe("File mode; files that use a secret are always 0600."),
      })
      .strict(),
  )
  .default([])
  .describe("Settings files rendered here and pushed by `slipway <env> update-config` (diff first; drift guard).");

/** `rollout`: what a failed health check switches back in a rolling deploy. */
export const rolloutSchema = z
  .object({
    on_unhealthy: z
      .enum(["batch", "all"])
      .default("batch")
      .describe(
        "With --batch-size (a rolling deploy: each batch is switched and restarted in turn), a failed health check switches back `batch` (that batch; earlier healthy batches keep the new release) or `all` switched hosts.",
      ),
  })
  .strict()
  .default({ on_unhealthy: "batch" })
  .describe("Rolling deploys.");

/** `maintenance`: the downtime page and flag. */
export const maintenanceSchema = z
  .object({
    roles: z.array(name("role")).optional().describe("Hosts that show the page (default: every host)."),
    dir: z
      .string()
      .min(1)
      .default("shared/maintenance")
      .describe("Directory (relative to deploy_to) holding `on` (the flag) and `index.html` (the page); point nginx at it."),
    stop_timeout: z.number().int().min(1).default(30).describe("Seconds to wait for stopped services' processes to exit before asking (or --kill-after)."),
  })
  .strict()
  .default({ dir: "shared/maintenance", stop_timeout: 30 })
  .describe("Planned downtime: `slipway <env> downtime start|end|status`. nginx returns 503 with the page while the flag file exists (see README).");

/** `presteps`: detached long-running steps. */
export const prestepsSchema = z
  .record(
    name("pre-step"),
    z
      .object({
        run: z.string().min(1).describe("Command, run detached in a release of the commit being deployed; it may write progress lines to $SLIPWAY_PROGRESS."),
        role: name("role").optional().describe("Run on this role's primary host (default: the environment's primary)."),
        required: z
          .boolean()
          .default(false)
          .describe("A deploy starts it (or waits for the running one) after building and before migrate/switch, and stops if it failed."),
      })
      .strict(),
  )
  .default({})
  .describe(
    "Long-running pre-steps (e.g. a search-index rebuild) that survive the SSH connection and the control machine: `slipway <env> prestep <name> [--check]`.",
  );
