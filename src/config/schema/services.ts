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
