/** `services` (supervisord, systemd or command backends, health checks) and `supervisor`. */
import { z } from "zod";
import { name } from "./common.js";

const healthSchema = z
  .object({
    http: z
      .string()
      .regex(/^https?:\/\//, { error: "expected an http:// or https:// URL" })
      .optional()
      .describe("GET this URL on the host; healthy when the status is `expect`."),
    expect: z.number().int().min(100).max(599).default(200).describe("Expected HTTP status."),
    tcp: z
      .string()
      .regex(/^[^:]+:\d+$/, { error: "expected host:port" })
      .optional()
      .describe("Healthy when this host:port accepts a connection."),
    timeout: z.number().int().min(1).default(30).describe("Seconds to wait for the service to become healthy."),
  })
  .strict();

const NGINX_DEFAULTS = { test: "nginx -t", reload: "nginx -s reload", pid_file: "/run/nginx.pid", sudo: false };

/** `cutover`: blue/green slots behind the host's nginx (see README "Zero-downtime cutover"). */
const cutoverSchema = z
  .object({
    proxy: z.enum(["nginx"]).describe("The proxy whose upstream Slipway rewrites (nginx today)."),
    ports: z
      .array(z.number().int().min(1).max(65535), { error: "expected a list of ports" })
      .min(2, { error: "expected two or more ports (one slot serves while the next release starts on another)" })
      .refine((ps) => new Set(ps).size === ps.length, { error: "expected distinct ports" })
      .describe("Slot ports: each release's processes listen on one (`{{ SLIPWAY_PORT }}` / $SLIPWAY_PORT); a deploy starts on an idle one."),
    upstream_file: z
      .string()
      .min(1)
      .optional()
      .describe(
        "The file Slipway writes (an nginx `upstream` block), relative to deploy_to (default nginx/<service>.conf); include it from nginx's `http` block.",
      ),
    upstream_name: z
      .string()
      .regex(/^[A-Za-z0-9_]+$/, { error: "expected letters, digits and _" })
      .optional()
      .describe("The upstream's name in that file, for `proxy_pass http://<name>;` (default <app>_<service>)."),
    host: z
      .string()
      .regex(/^([A-Za-z0-9.:[\]-]+|\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\})$/, { error: "expected an address or {{ NAME }} (a host's env value)" })
      .default("127.0.0.1")
      .describe("Where the slots listen, as nginx reaches them (an address, or `{{ NAME }}` from each host's env); the app gets it as $SLIPWAY_SLOT_HOST."),
    drain_timeout: z
      .number()
      .int()
      .min(0)
      .default(30)
      .describe("Seconds the old slot may keep serving in-flight requests after the switch before it is stopped."),
    keep_previous: z.boolean().default(false).describe("Keep the old slot running after the drain, so a rollback switches back without starting anything."),
    nginx: z
      .object({
        test: z
          .string()
          .min(1)
          .default(NGINX_DEFAULTS.test)
          .describe("Checks the configuration with the new upstream; a failure puts the old file back and stops the deploy."),
        reload: z.string().min(1).default(NGINX_DEFAULTS.reload).describe("Graceful reload: new workers take new requests, old ones finish theirs."),
        pid_file: z
          .string()
          .min(1)
          .default(NGINX_DEFAULTS.pid_file)
          .describe("nginx's master pid file: no running nginx means no reload; its old workers' exit ends the drain."),
        sudo: z.boolean().default(false).describe("Run test and reload with `sudo -n` (the deploy user needs a sudoers rule for exactly those commands)."),
      })
      .strict()
      .default(NGINX_DEFAULTS)
      .describe("How to check and reload nginx on the host."),
  })
  .strict();

const PROGRAM_MSG = `expected a program name (letters, digits, "_", ".", "@", "-", starting with a letter or digit)`;

/** One service and how to start, stop and health-check it. */
export const serviceSchema = z
  .object({
    backend: z
      .enum(["supervisord", "systemd", "command"])
      .describe("supervisord: a program in the host's supervisord; systemd: a unit rendered from `command`; command: your own start/stop/status commands."),
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
    log: z.string().min(1).optional().describe("command backend: the service's log file, relative to deploy_to (e.g. `shared/app.log`), read by `logs`."),
    processes: z
      .string()
      .min(1)
      .optional()
      .describe("A `pgrep -f` pattern for this service's processes (owned by the deploy user): stragglers after a stop are found with it."),
    health: healthSchema.optional().describe("How to tell it is healthy (besides its process running)."),
    graceful_reload: z.boolean().default(false).describe("Deploys reload instead of restart."),
    cutover: cutoverSchema
      .optional()
      .describe("Zero-downtime deploys: start the new release on an idle port, health-check it, point nginx at it, drain the old one (supervisord backend)."),
  })
  .strict();

/** `supervisor`: where the supervisord backend finds its config and writes program files. */
export const supervisorSchema = z
  .object({
    config: z.string().min(1).default("~/supervisor/supervisord.conf").describe("supervisord.conf on the hosts (supervisorctl -c)."),
    include_dir: z
      .string()
      .min(1)
      .default("~/supervisor/conf.d")
      .describe("Where Slipway writes one program file per service (include it from supervisord.conf)."),
  })
  .strict()
  .default({ config: "~/supervisor/supervisord.conf", include_dir: "~/supervisor/conf.d" })
  .describe("supervisord backend settings.");
