/** Reused dependency directories and independently deployed components. */
import { z } from "zod";
import { commandSchema, hooksSchema } from "./commands.js";
import { envVars, name } from "./common.js";
import { sourceSchema } from "./source.js";
import { verifySchema } from "./verify.js";

/** One reused dependency directory (`dependencies`). */
export const dependencySchema = z
  .object({
    path: z.string().min(1).describe("Directory the install creates inside the release, e.g. node_modules or venv."),
    lockfile: z.string().min(1).describe("File whose content decides reuse, e.g. package-lock.json or requirements.txt."),
    install: z.string().min(1).describe("Command that creates `path` when the lockfile changed, e.g. `npm ci`."),
    roles: z.array(name("role")).optional().describe("Only on hosts with one of these roles."),
  })
  .strict();

/** One component: its own source, build, hosts and release track. */
export const componentSchema = z
  .object({
    source: sourceSchema.optional().describe("This component's code (default: the app's source)."),
    deploy_to: z.string().min(1).optional().describe('Base directory on each host (default: the environment\'s deploy_to + "-<component>").'),
    roles: z.array(name("role")).optional().describe("Deploy to hosts with one of these roles only (default: every host)."),
    keep_releases: z.number().int().min(1).optional().describe("Overrides keep_releases."),
    shared: z
      .object({ dirs: z.array(z.string().min(1)).default([]), files: z.array(z.string().min(1)).default([]) })
      .strict()
      .optional()
      .describe("Shared paths of this component."),
    dependencies: z.array(dependencySchema).optional().describe("Reused dependency directories of this component."),
    build: z.array(commandSchema).optional().describe("Build commands of this component."),
    migrate: z.array(commandSchema).optional().describe("Migrate commands of this component."),
    restart: z.array(commandSchema).optional().describe("Restart commands of this component."),
    verify: verifySchema.optional().describe("Verify commands (a list) or `{ commands, window, interval, checks }` of this component."),
    hooks: hooksSchema.optional(),
    env: envVars.optional(),
  })
  .strict();
