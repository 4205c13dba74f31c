/**
 * The schema is the documentation: every key has a description and default here, and both
 * `slipway config schema` (JSON Schema) and docs/config.md are generated from it.
 */
import { z } from "zod";

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const name = (what: string) =>
  z.string({ error: `expected a valid ${what} name (letters, digits, "_", ".", "-")` }).regex(NAME, {
    error: `expected a valid ${what} name (letters, digits, "_", ".", "-")`,
  });

const portMsg = "expected an integer 1-65535";
const port = z
  .number({ error: portMsg })
  .int({ error: portMsg })
  .min(1, { error: portMsg })
  .max(65535, { error: portMsg });

export const PHASES_WITH_HOOKS = ["fetch", "link", "build", "migrate", "switch", "restart", "verify", "cleanup"] as const;

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
  { error: 'expected a shell command string or {run, local, roles}' },
);

const commandList = (what: string) => z.array(commandSchema).default([]).describe(what);

const phaseHooks = z
  .object(Object.fromEntries(PHASES_WITH_HOOKS.map((p) => [p, z.array(commandSchema).optional()])) as Record<
    (typeof PHASES_WITH_HOOKS)[number],
    z.ZodOptional<z.ZodArray<typeof commandSchema>>
  >)
  .strict();

export const hooksSchema = z
  .object({
    before: phaseHooks.optional().describe("Commands to run before a phase, keyed by phase name."),
    after: phaseHooks.optional().describe("Commands to run after a phase, keyed by phase name."),
    on_failure: z.array(commandSchema).optional().describe("Commands to run when a deploy or rollback fails (the lock is still held)."),
  })
  .strict()
  .describe("User hooks around the fixed lifecycle phases.");

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
      .describe("Per-host environment variables (e.g. PORT); `{{ NAME }}` in service commands and health checks is replaced with them (`${NAME}` still works but is deprecated)."),
  })
  .strict();

const envVars = z
  .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "expected an environment variable name" }), z.string({ error: "expected a string value (quote numbers)" }))
  .describe("Environment variables exported to every command on the hosts.");

const secretEnv = z
  .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "expected an environment variable name" }))
  .describe("Names of variables taken from the control machine's environment and passed to commands; their values are redacted everywhere.");

export const sshSchema = z
  .object({
    config_file: z.string().min(1).optional().describe("OpenSSH client config to honour (Host aliases, HostName, User, Port, IdentityFile, ProxyJump, UserKnownHostsFile). Default: ~/.ssh/config."),
    known_hosts: z.string().min(1).optional().describe("known_hosts file. Default: UserKnownHostsFile from the ssh config, else ~/.ssh/known_hosts."),
    host_key_checking: z.enum(["strict", "accept-new"]).optional().describe("`strict` (default) refuses unknown and changed host keys; `accept-new` records unknown ones (never changed ones)."),
    identity_file: z.string().min(1).optional().describe("Private key to try (after ssh-agent and the ssh config's IdentityFile)."),
    connect_timeout: z.number().int().min(1).optional().describe("Seconds to wait for a connection and its SSH handshake (default 10)."),
    keepalive: z.number().int().min(0).optional().describe("Seconds between liveness probes on an open connection (default 3; 0 turns them off)."),
    keepalive_count: z.number().int().min(1).optional().describe("Unanswered probes after which a host counts as lost (default 3): a host that stops answering is noticed after about keepalive × keepalive_count seconds."),
  })
  .strict()
  .describe("How to reach ssh hosts. Slipway keeps one connection per host for the whole run.");

/** Per-phase time limits, in seconds; the defaults fit what each phase usually does. */
export const TIMEOUT_DEFAULTS = { check: 30, fetch: 600, link: 60, build: 1800, migrate: 1800, switch: 4, cleanup: 300, restart: 600, verify: 300, hooks: 600 } as const;

const seconds = (what: string, def: number) => z.number().int().min(1).optional().describe(`Seconds ${what} may take on one host (default ${def}).`);

export const timeoutsSchema = z
  .object({
    check: seconds("reading a host's releases and lock", TIMEOUT_DEFAULTS.check),
    fetch: seconds("putting the commit into the new release", TIMEOUT_DEFAULTS.fetch),
    link: seconds("linking shared paths", TIMEOUT_DEFAULTS.link),
    build: seconds("dependency installs and build commands", TIMEOUT_DEFAULTS.build),
    migrate: seconds("migrations", TIMEOUT_DEFAULTS.migrate),
    switch: seconds("the switch (it takes milliseconds: a host that does not finish it in time is stuck, and the others are switched back)", TIMEOUT_DEFAULTS.switch),
    cleanup: seconds("removing old releases", TIMEOUT_DEFAULTS.cleanup),
    restart: seconds("restarts and health waits", TIMEOUT_DEFAULTS.restart),
    verify: seconds("verify commands", TIMEOUT_DEFAULTS.verify),
    hooks: seconds("a phase that runs your before/after hooks, when that is longer than the phase's own limit", TIMEOUT_DEFAULTS.hooks),
  })
  .strict()
  .describe("Per-phase time limits. A host that exceeds one fails that phase (named in the summary) like a failed command.");

const dependencySchema = z
  .object({
    path: z.string().min(1).describe("Directory the install creates inside the release, e.g. node_modules or venv."),
    lockfile: z.string().min(1).describe("File whose content decides reuse, e.g. package-lock.json or requirements.txt."),
    install: z.string().min(1).describe("Command that creates `path` when the lockfile changed, e.g. `npm ci`."),
    roles: z.array(name("role")).optional().describe("Only on hosts with one of these roles."),
  })
  .strict();

export const NOTIFY_EVENTS = ["deploy.started", "deploy.succeeded", "deploy.failed", "rollback.succeeded", "rollback.failed", "prestep.finished"] as const;
const notifyEvents = z.array(z.enum(NOTIFY_EVENTS)).optional().describe("Which events (default: all).");

export const notifySchema = z
  .object({
    webhooks: z
      .array(
        z
          .object({
            url: z.string().min(1).optional().describe("Where to POST the JSON (Slack-compatible: has `text`)."),
            url_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional().describe("Read the URL from this variable instead (webhook URLs are secrets); redacted everywhere."),
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
            password_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional().describe("Variable holding the SMTP password; redacted everywhere."),
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
    vars: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).optional().describe("Template variables for this environment (override the top-level vars)."),
    secrets_file: z.string().min(1).optional().describe("This environment's encrypted secrets file (overrides the top-level one)."),
  })
  .strict();

export const sourceSchema = z.union(
  [
    z
      .object({
        git: z.string().min(1).describe("Git repository URL or path (relative to the config file)."),
        ref: z.string().min(1).default("main").describe("Branch, tag or full commit to deploy."),
        distribute: z
          .enum(["git", "artifact"])
          .default("git")
          .describe("`git`: each host fetches the commit into its own mirror. `artifact`: export and build once on the control machine, upload only changed files."),
        artifact_build: z.array(z.string().min(1)).default([]).describe("artifact mode: commands run on the control machine in a fresh export of the commit before upload."),
        artifact_path: z.string().min(1).default(".").describe("artifact mode: the directory (inside the export) that becomes the release."),
      })
      .strict(),
    z
      .object({
        dir: z.string().min(1).describe("A local directory to deploy as-is (relative to the config file)."),
      })
      .strict(),
  ],
  { error: "expected {git, ref} or {dir}" },
);

const healthSchema = z
  .object({
    http: z.string().regex(/^https?:\/\//, { error: "expected an http:// or https:// URL" }).optional().describe("GET this URL on the host; healthy when the status is `expect`."),
    expect: z.number().int().min(100).max(599).default(200).describe("Expected HTTP status."),
    tcp: z.string().regex(/^[^:]+:\d+$/, { error: "expected host:port" }).optional().describe("Healthy when this host:port accepts a connection."),
    timeout: z.number().int().min(1).default(30).describe("Seconds to wait for the service to become healthy."),
  })
  .strict();

const PROGRAM_MSG = `expected a program name (letters, digits, "_", ".", "@", "-", starting with a letter or digit)`;

export const serviceSchema = z
  .object({
    backend: z.enum(["supervisord", "systemd", "command"]).describe("supervisord: a program in the host's supervisord; systemd: a unit rendered from `command`; command: your own start/stop/status commands."),
    roles: z.array(name("role")).optional().describe("Hosts with one of these roles run it (default: every host)."),
    component: name("component").optional().describe("The component whose deploys restart it (default: the app)."),
    order: z.number().int().default(50).describe("Start order, low first (stop runs in reverse)."),
    command: z.string().min(1).optional().describe("supervisord/systemd: the program command, run in the `current` release."),
    // It becomes a file name under /etc/systemd/system and the supervisor include dir, and a systemd unit name.
    program: z
      .string({ error: PROGRAM_MSG })
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]*$/, { error: PROGRAM_MSG })
      .max(200, { error: PROGRAM_MSG })
      .optional()
      .describe("supervisord program / systemd unit name: letters, digits, `_`, `.`, `@`, `-`, starting with a letter or digit (default: <app>-<service>)."),
    start: z.string().min(1).optional().describe("command backend: start command (run in `current`)."),
    stop: z.string().min(1).optional().describe("command backend: stop command."),
    reload: z.string().min(1).optional().describe("command backend: graceful reload command (default: stop + start)."),
    status: z.string().min(1).optional().describe("command backend: exits 0 when the service runs (default: the pid file's process is alive)."),
    pid_file: z.string().min(1).optional().describe("command backend: pid file, relative to deploy_to (alive = process exists)."),
    processes: z.string().min(1).optional().describe("A `pgrep -f` pattern for this service's processes (owned by the deploy user): stragglers after a stop are found with it."),
    health: healthSchema.optional().describe("How to tell it is healthy (besides its process running)."),
    graceful_reload: z.boolean().default(false).describe("Deploys reload instead of restart."),
  })
  .strict();

export const componentSchema = z
  .object({
    source: sourceSchema.optional().describe("This component's code (default: the app's source)."),
    deploy_to: z.string().min(1).optional().describe("Base directory on each host (default: the environment's deploy_to + \"-<component>\")."),
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
    verify: z.array(commandSchema).optional().describe("Verify commands of this component."),
    hooks: hooksSchema.optional(),
    env: envVars.optional(),
  })
  .strict();

export const configSchema = z
  .object({
    app: name("app").describe("Application name."),
    source: sourceSchema.describe("Where the code comes from: a git repository and ref, or a local directory."),
    deploy_to: z.string().min(1).optional().describe("Base directory on each host (default: ~/apps/<app>). Local hosts resolve a relative path against the config file."),
    keep_releases: z.number({ error: "expected an integer >= 1" }).int().min(1, { error: "expected an integer >= 1" }).default(5).describe("How many good releases cleanup keeps."),
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
    verify: commandList("Commands run after restart; a failure switches every host back to the previous release."),
    hooks: hooksSchema.default({}),
    env: envVars.default({}),
    secret_env: secretEnv.default([]),
    ssh: sshSchema.default({}),
    timeouts: timeoutsSchema.default({}),
    notify: notifySchema.default({ webhooks: [] }),
    services: z
      .record(name("service"), serviceSchema)
      .default({})
      .describe("Services per role and component: restarted (in rolling batches, with health checks) after a deploy's switch; `slipway <env> service ...`, `check-services`."),
    supervisor: z
      .object({
        config: z.string().min(1).default("~/supervisor/supervisord.conf").describe("supervisord.conf on the hosts (supervisorctl -c)."),
        include_dir: z.string().min(1).default("~/supervisor/conf.d").describe("Where Slipway writes one program file per service (include it from supervisord.conf)."),
      })
      .strict()
      .default({ config: "~/supervisor/supervisord.conf", include_dir: "~/supervisor/conf.d" })
      .describe("supervisord backend settings."),
    config_files: z
      .array(
        z
          .object({
            template: z.string().min(1).describe("Template file, relative to slipway.yml; `{{ NAME }}` is replaced from vars, secrets, env and host env."),
            dest: z.string().min(1).describe("Where it goes on the host, relative to deploy_to (e.g. shared/localsettings.py) or absolute."),
            roles: z.array(name("role")).optional().describe("Only hosts with one of these roles."),
            mode: z.string().regex(/^0?[0-7]{3}$/, { error: "expected an octal mode like 0644" }).optional().describe("File mode; files that use a secret are always 0600."),
          })
          .strict(),
      )
      .default([])
      .describe("Settings files rendered here and pushed by `slipway <env> update-config` (diff first; drift guard)."),
    vars: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}).describe("Template variables (environments can override)."),
    secrets_file: z.string().min(1).optional().describe("Encrypted secrets file in the repository (`slipway secrets encrypt`); the key comes from $SLIPWAY_SECRETS_KEY or secrets_key_file, never the repository."),
    secrets_key_file: z.string().min(1).optional().describe("File holding the secrets key (outside the repository), default ~/.config/slipway/secrets.key."),
    rollout: z
      .object({
        on_unhealthy: z
          .enum(["batch", "all"])
          .default("batch")
          .describe("With --batch-size (a rolling deploy: each batch is switched and restarted in turn), a failed health check switches back `batch` (that batch; earlier healthy batches keep the new release) or `all` switched hosts."),
      })
      .strict()
      .default({ on_unhealthy: "batch" })
      .describe("Rolling deploys."),
    after_reboot: commandList("`slipway <env> after-reboot` runs these first on each host (e.g. unlock an encrypted volume, start supervisord), then starts services in order."),
    maintenance: z
      .object({
        roles: z.array(name("role")).optional().describe("Hosts that show the page (default: every host)."),
        dir: z.string().min(1).default("shared/maintenance").describe("Directory (relative to deploy_to) holding `on` (the flag) and `index.html` (the page); point nginx at it."),
        stop_timeout: z.number().int().min(1).default(30).describe("Seconds to wait for stopped services' processes to exit before asking (or --kill-after)."),
      })
      .strict()
      .default({ dir: "shared/maintenance", stop_timeout: 30 })
      .describe("Planned downtime: `slipway <env> downtime start|end|status`. nginx returns 503 with the page while the flag file exists (see README)."),
    presteps: z
      .record(
        name("pre-step"),
        z
          .object({
            run: z.string().min(1).describe("Command, run detached in a release of the commit being deployed; it may write progress lines to $SLIPWAY_PROGRESS."),
            role: name("role").optional().describe("Run on this role's primary host (default: the environment's primary)."),
            required: z.boolean().default(false).describe("A deploy starts it (or waits for the running one) after building and before migrate/switch, and stops if it failed."),
          })
          .strict(),
      )
      .default({})
      .describe("Long-running pre-steps (e.g. a search-index rebuild) that survive the SSH connection and the control machine: `slipway <env> prestep <name> [--check]`."),
    components: z
      .record(name("component"), componentSchema)
      .default({})
      .describe("Independently deployed parts (e.g. a formplayer service), each with its own source, build, hosts and release track: `slipway <env> deploy <component>`. `deploy --all` deploys the app, then these in the order written."),
    roles: z
      .record(
        name("role"),
        z
          .object({
            allow_partial: z.boolean().default(false).describe("Hosts of this role may fail without stopping the deploy on the others."),
          })
          .strict(),
      )
      .default({})
      .describe("Per-role settings."),
    environments: z
      .record(name("environment"), environmentSchema)
      .refine((r) => Object.keys(r).length > 0, { error: "expected at least one environment" })
      .describe("Named environments (production, staging, ...)."),
  })
  .strict();

export type RawConfig = z.infer<typeof configSchema>;
export type CommandSpec = z.infer<typeof commandSchema>;
export type HostSpec = z.infer<typeof hostSchema>;

/** JSON Schema for editors (yaml-language-server) and the generated reference. */
export function jsonSchema(): object {
  return z.toJSONSchema(configSchema, { io: "input", unrepresentable: "any" });
}
