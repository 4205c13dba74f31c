/** Commands and hooks: the build/migrate/restart/verify lists and before/after/on_failure hooks. */
import { z } from "zod";
import { name } from "./common.js";

/** Lifecycle phases that accept before/after hooks. */
export const PHASES_WITH_HOOKS = ["fetch", "link", "build", "migrate", "switch", "restart", "verify", "cleanup"] as const;

/** One command: a shell string or {run, local, roles}. */
export const commandSchema = z.union(
  [
    z.string().min(1, { error: "expected a non-empty shell command" }),
    z
      .object({
        run: z.string().min(1).describe("Shell command. Runs in the release directory with the environment's `env`."),
        local: z.boolean().default(false).describe("Run once on the control machine (in the config directory) instead of on the hosts."),
        roles: z.array(name("role")).optional().describe("Only on hosts with one of these roles (default: all targeted hosts)."),
      })
      .strict(),
  ],
  { error: "expected a shell command string or {run, local, roles}" },
);

/** A command list key with its description (default: no commands). */
export const commandList = (what: string) => z.array(commandSchema).default([]).describe(what);

const phaseHooks = z
  .object(
    Object.fromEntries(PHASES_WITH_HOOKS.map((p) => [p, z.array(commandSchema).optional()])) as Record<
      (typeof PHASES_WITH_HOOKS)[number],
      z.ZodOptional<z.ZodArray<typeof commandSchema>>
    >,
  )
  .strict();

/** `hooks`: commands before/after each phase and on failure. */
export const hooksSchema = z
  .object({
    before: phaseHooks.optional().describe("Commands to run before a phase, keyed by phase name."),
    after: phaseHooks.optional().describe("Commands to run after a phase, keyed by phase name."),
    on_failure: z.array(commandSchema).optional().describe("Commands to run when a deploy or rollback fails (the lock is still held)."),
  })
  .strict()
  .describe("User hooks around the fixed lifecycle phases.");
