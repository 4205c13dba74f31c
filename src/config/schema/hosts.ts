/** Hosts, the environments that group them, and per-role settings. */
import { z } from "zod";
import { announceSchema } from "./announce.js";
import { envVars, name, port, secretEnv } from "./common.js";
import { databasesSchema } from "./databases.js";
import { windowsSchema } from "./windows.js";
import { gatesSchema } from "./gates.js";
import { stagingBranchSchema } from "./promote.js";
import { notifySchema } from "./notify.js";
import { sshSchema, timeoutsSchema } from "./ssh.js";

/** One host of an environment. */
export const hostSchema = z
  .object({
    name: name("host").describe("Host name used in output, --limit and the lock."),
    address: z.string().min(1).optional().describe("Address or ~/.ssh/config alias (ssh transport). Omit for local hosts."),
    transport: z.enum(["local", "ssh"]).optional().describe("`local` runs commands on this machine; `ssh` (default when `address` is set) over SSH."),
    user: z.string().min(1).optional().describe("SSH user (ssh transport)."),
    port: port.optional().describe("SSH port (ssh transport)."),
    roles: z.array(name("role")).default([]).describe("Roles of this host, e.g. web, worker, db."),
    primary: z.boolean().default(false).describe("The environment's primary host holds the lock and the history (default: the first host)."),
    deploy_to: z.string().min(1).optional().describe("Overrides the environment's deploy_to for this host."),
    env: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string())
      .optional()
      .describe(
        "Per-host environment variables (e.g. PORT); `{{ NAME }}` in service commands and health checks is replaced with them (`${NAME}` still works but is deprecated).",
      ),
  })
  .strict();

/** One environment: its hosts and the top-level keys it may override. */
export const environmentSchema = z
  .object({
    hosts: z.array(hostSchema).min(1, { error: "expected at least one host" }).describe("The hosts of this environment."),
    deploy_to: z.string().min(1).optional().describe("Overrides the top-level deploy_to."),
    keep_releases: z.number().int().min(1).optional().describe("Overrides the top-level keep_releases."),
    ref: z.string().min(1).optional().describe("Overrides source.ref (branch, tag or commit) for this environment."),
    env: envVars.optional(),
    secret_env: secretEnv.optional(),
    ssh: sshSchema.optional(),
    timeouts: timeoutsSchema.optional().describe("Overrides the top-level timeouts, key by key."),
    notify: notifySchema.optional().describe("Overrides the top-level notify for this environment."),
    vars: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string())
      .optional()
      .describe("Template variables for this environment (override the top-level vars)."),
    secrets_file: z.string().min(1).optional().describe("This environment's encrypted secrets file (overrides the top-level one)."),
    databases: databasesSchema,
    windows: windowsSchema,
    announce: announceSchema,
    gates: gatesSchema,
    staging_branch: stagingBranchSchema,
  })
  .strict();

/** `roles`: per-role settings (partial failure). */
export const rolesSchema = z
  .record(
    name("role"),
    z
      .object({
        allow_partial: z.boolean().default(false).describe("Hosts of this role may fail without stopping the deploy on the others."),
      })
      .strict(),
  )
  .default({})
  .describe("Per-role settings.");
