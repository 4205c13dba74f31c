/** `aliases`: short names for commands run in the current release (`slipway <env> manage shell`). */
import { z } from "zod";
import { name } from "./common.js";

/**
 * Words an alias may not take (checked in rules.ts, at the key's own line): every verb (`slipway <env> <word>` must keep meaning the verb) and
 * `help`. The config layer cannot import the CLI's registry, so a unit test keeps this in step with it.
 */
export const RESERVED_ALIAS_NAMES = [
  "init",
  "config",
  "demo",
  "secrets",
  "completion",
  "state",
  "serve",
  "tokens",
  "version",
  "help",
  "deploy",
  "rollback",
  "status",
  "pending",
  "releases",
  "history",
  "approve",
  "approvals",
  "lock",
  "db",
  "announce",
  "announcements",
  "tasks",
  "cleanup",
  "setup-release",
  "clean-releases",
  "prestep",
  "service",
  "check-services",
  "downtime",
  "after-reboot",
  "update-config",
  "run",
  "logs",
  "ssh",
  "promote",
  "cut",
  "verify-release",
];

/** One alias: a command string, or the command with where and how it runs. */
export const aliasSchema = z.union(
  [
    z.string().min(1, { error: "expected a non-empty shell command" }),
    z
      .object({
        command: z
          .string()
          .min(1)
          .describe("Shell command run in the current release with the app's environment; the alias's arguments follow it, each quoted."),
        role: name("role").optional().describe("Run on this role's primary host (default: the environment's primary)."),
        interactive: z.boolean().default(false).describe("Run in a terminal with stdin (a console, `manage shell`, `dbshell`)."),
        description: z.string().optional().describe("One line shown by `slipway <env> --help`."),
      })
      .strict(),
  ],
  { error: "expected a command string or {command, role, interactive, description}" },
);

/** `aliases`: name → command. Top level only (environments share them). */
export const aliasesSchema = z
  .record(name("alias"), aliasSchema)
  .default({})
  .describe(
    "Commands by name, run in the current release on a role's primary host with the app's environment: `slipway <env> <alias> [args...]`. A string is the command; names may not be verbs.",
  );
