/** How hosts are reached (`ssh`) and how long each phase may take (`timeouts`). */
import { z } from "zod";

/** `ssh`: client config, host keys, identity and liveness settings. */
export const sshSchema = z
  .object({
    config_file: z
      .string()
      .min(1)
      .optional()
      .describe("OpenSSH client config to honour (Host aliases, HostName, User, Port, IdentityFile, ProxyJump, UserKnownHostsFile). Default: ~/.ssh/config."),
    known_hosts: z.string().min(1).optional().describe("known_hosts file. Default: UserKnownHostsFile from the ssh config, else ~/.ssh/known_hosts."),
    host_key_checking: z
      .enum(["strict", "accept-new"])
      .optional()
      .describe("`strict` (default) refuses unknown and changed host keys; `accept-new` records unknown ones (never changed ones)."),
    identity_file: z.string().min(1).optional().describe("Private key to try (after ssh-agent and the ssh config's IdentityFile)."),
    connect_timeout: z.number().int().min(1).optional().describe("Seconds to wait for a connection and its SSH handshake (default 10)."),
    keepalive: z.number().int().min(0).optional().describe("Seconds between liveness probes on an open connection (default 3; 0 turns them off)."),
    keepalive_count: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe(
        "Unanswered probes after which a host counts as lost (default 3): a host that stops answering is noticed after about keepalive × keepalive_count seconds.",
      ),
  })
  .strict()
  .describe("How to reach ssh hosts. Slipway keeps one connection per host for the whole run.");

/** Per-phase time limits, in seconds; the defaults fit what each phase usually does. */
export const TIMEOUT_DEFAULTS = {
  check: 30,
  fetch: 600,
  link: 60,
  build: 1800,
  migrate: 1800,
  start: 600,
  switch: 4,
  cleanup: 300,
  restart: 600,
  verify: 300,
  hooks: 600,
} as const;

const seconds = (what: string, def: number) => z.number().int().min(1).optional().describe(`Seconds ${what} may take on one host (default ${def}).`);

/** `timeouts`: per-phase limits in seconds. */
export const timeoutsSchema = z
  .object({
    check: seconds("reading a host's releases and lock", TIMEOUT_DEFAULTS.check),
    fetch: seconds("putting the commit into the new release", TIMEOUT_DEFAULTS.fetch),
    link: seconds("linking shared paths", TIMEOUT_DEFAULTS.link),
    build: seconds("dependency installs and build commands", TIMEOUT_DEFAULTS.build),
    migrate: seconds("migrations", TIMEOUT_DEFAULTS.migrate),
    start: seconds("starting new cutover slots and waiting for their health checks", TIMEOUT_DEFAULTS.start),
    switch: seconds(
      "the switch (it takes milliseconds: a host that does not finish it in time is stuck, and the others are switched back)",
      TIMEOUT_DEFAULTS.switch,
    ),
    cleanup: seconds("removing old releases", TIMEOUT_DEFAULTS.cleanup),
    restart: seconds("restarts and health waits", TIMEOUT_DEFAULTS.restart),
    verify: seconds("verify commands", TIMEOUT_DEFAULTS.verify),
    hooks: seconds("a phase that runs your before/after hooks, when that is longer than the phase's own limit", TIMEOUT_DEFAULTS.hooks),
  })
  .strict()
  .describe("Per-phase time limits. A host that exceeds one fails that phase (named in the summary) like a failed command.");
