/**
 * The schema is the documentation: every key has a description and default here, and both
 * `slipway config schema` (JSON Schema) and docs/config.md are generated from it.
 */
import { z } from "zod";
import { aliasesSchema } from "./aliases.js";
import { chatSchema } from "./chat.js";
import { commandList, type commandSchema, hooksSchema } from "./commands.js";
import { envVars, name, secretEnv } from "./common.js";
import { componentSchema, dependencySchema } from "./components.js";
import { environmentSchema, type hostSchema, rolesSchema } from "./hosts.js";
import { notifySchema } from "./notify.js";
import { configFilesSchema, maintenanceSchema, prestepsSchema, rolloutSchema } from "./operations.js";
import { serviceSchema, supervisorSchema } from "./services.js";
import { sourceSchema } from "./source.js";
import { NO_VERIFY, verifySchema } from "./verify.js";
import { PRESET_NAMES } from "../presets/types.js";
import { scheduleSchema } from "./schedule.js";
import { sshSchema, timeoutsSchema } from "./ssh.js";
import { stateSchema } from "./state.js";

export { PHASES_WITH_HOOKS, commandSchema, hooksSchema } from "./commands.js";
export { environmentSchema, hostSchema } from "./hosts.js";
export { NOTIFY_EVENTS, notifySchema } from "./notify.js";
export { serviceSchema } from "./services.js";
export { componentSchema } from "./components.js";
export { sourceSchema } from "./source.js";
export { type ScheduleSpec, scheduleEntrySchema } from "./schedule.js";
export { TIMEOUT_DEFAULTS, sshSchema, timeoutsSchema } from "./ssh.js";

/** The whole slipway.yml; key order here is the order of docs/config.md and the JSON Schema. */
export const configSchema = z
  .object({
    app: name("app").describe("Application name."),
    preset: z
      .enum(PRESET_NAMES, { error: `expected ${PRESET_NAMES.join(" | ")}` })
      .optional()
      .describe(
        "Framework defaults merged under this file (see docs/presets.md): dependencies, build, migrate, services, env, and each database's schema_status. Your keys win key by key; lists are replaced whole; `services: { worker: null }` removes a preset service.",
      ),
    source: sourceSchema.describe("Where the code comes from: a git repository and ref, or a local directory."),
    deploy_to: z
      .string()
      .min(1)
      .optional()
      .describe("Base directory on each host (default: ~/apps/<app>). Local hosts resolve a relative path against the config file."),
    keep_releases: z
      .number({ error: "expected an integer >= 1" })
      .int()
      .min(1, { error: "expected an integer >= 1" })
      .default(5)
      .describe("How many good releases cleanup keeps."),
    shared: z
      .object({
        dirs: z.array(z.string().min(1)).default([]).describe("Directories under shared/ linked into every release (e.g. log, uploads)."),
        files: z.array(z.string().min(1)).default([]).describe("Files under shared/ linked into every release (e.g. .env)."),
      })
      .strict()
      .default({ dirs: [], files: [] })
      .describe("Paths that persist across releases."),
    dependencies: z
      .array(dependencySchema)
      .default([])
      .describe("Installed dependency directories reused from the previous release when their lockfile is unchanged (run before `build`)."),
    build: commandList("Commands run inside the new release before it can become current (e.g. npm ci)."),
    migrate: commandList("Commands run once, on the primary host, after every host has built and before the switch."),
    restart: commandList("Commands run after the switch to (re)start the application."),
    verify: verifySchema.default(NO_VERIFY),
    hooks: hooksSchema.default({}),
    env: envVars.default({}),
    secret_env: secretEnv.default([]),
    ssh: sshSchema.default({}),
    timeouts: timeoutsSchema.default({}),
    notify: notifySchema.default({ webhooks: [] }),
    services: z
      .record(name("service"), serviceSchema)
      .default({})
      .describe(
        "Services per role and component: restarted (in rolling batches, with health checks) after a deploy's switch; `slipway <env> service ...`, `check-services`.",
      ),
    supervisor: supervisorSchema,
    config_files: configFilesSchema,
    vars: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string())
      .default({})
      .describe("Template variables (environments can override)."),
    secrets_file: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Encrypted secrets file in the repository (`slipway secrets encrypt`); the key comes from $SLIPWAY_SECRETS_KEY or secrets_key_file, never the repository.",
      ),
    secrets_key_file: z.string().min(1).optional().describe("File holding the secrets key (outside the repository), default ~/.config/slipway/secrets.key."),
    state: stateSchema,
    chat: chatSchema,
    rollout: rolloutSchema,
    after_reboot: commandList(
      "`slipway <env> after-reboot` runs these first on each host (e.g. unlock an encrypted volume, start supervisord), then starts services in order.",
    ),
    maintenance: maintenanceSchema,
    presteps: prestepsSchema,
    aliases: aliasesSchema,
    components: z
      .record(name("component"), componentSchema)
      .default({})
      .describe(
        "Independently deployed parts (e.g. a formplayer service), each with its own source, build, hosts and release track: `slipway <env> deploy <component>`. `deploy --all` deploys the app, then these in the order written.",
      ),
    roles: rolesSchema,
    environments: z
      .record(name("environment"), environmentSchema)
      .refine((r) => Object.keys(r).length > 0, { error: "expected at least one environment" })
      .describe("Named environments (production, staging, ...)."),
    schedule: scheduleSchema,
  })
  .strict();

export type RawConfig = z.infer<typeof configSchema>;
export type CommandSpec = z.infer<typeof commandSchema>;
export type HostSpec = z.infer<typeof hostSchema>;

/** JSON Schema for editors (yaml-language-server) and the generated reference. */
export function jsonSchema(): object {
  return z.toJSONSchema(configSchema, { io: "input", unrepresentable: "any" });
}
