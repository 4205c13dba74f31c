/** What every route of `slipway serve` shares, built once at start-up and passed explicitly (no globals). */
import type { SlackSettings } from "../config/chat.js";
import type { LoadedConfig } from "../config/load.js";
import type { Environment } from "../config/resolve.js";
import type { Redactor } from "../events/redact.js";
import type { StateStore } from "../store/store.js";
import type { EnvironmentReads } from "./reads.js";
import type { FailureLimiter } from "./limiter.js";
import type { ActionRunner } from "./runner.js";
import type { SessionStore } from "./sessions.js";
import type { Scheduler } from "./scheduler.js";

export interface ServeContext {
  loaded: LoadedConfig;
  /**
   * Every environment of slipway.yml, resolved once at start-up (so a missing secret stops the server
   * with the same message a verb would give, not each request), with the redactor of its secrets.
   */
  environments: ReadonlyMap<string, { env: Environment; redact: Redactor }>;
  store: StateStore;
  /** This control machine's state directory (as for the CLI's runs). */
  stateDir: string;
  /** Each host read (connect and command) gives up after this long; the host is then reported unreachable. */
  readTimeoutMs: number;
  /** Failed authentications per client address. */
  limiter: FailureLimiter;
  /** Secrets of the config and the store URL: masked in everything the API returns from hosts and in log lines. */
  redact: Redactor;
  /** Host connections kept between reads, and reads in flight shared by concurrent requests. */
  reads: EnvironmentReads;
  /** Browser sessions (logged in with a token). */
  sessions: SessionStore;
  /** Runs the CLI for every action (deploy, rollback, lock...), as the user who asked. */
  runner: ActionRunner;
  /** HTTPS: session cookies are marked Secure. */
  tls: boolean;
  /** Aborted when the server is stopping: live logs end so that close() is not held by them. */
  shutdown?: AbortSignal;
  /** Proxies whose X-Forwarded-For/-Proto are believed (addresses or CIDRs), from --trust-proxy. */
  trustProxy?: string[];
  /** `chat.slack`, its signing secret read at start-up; null: POST /chat/slack answers 404. */
  slack: SlackSettings | null;
  /** One line to the operator (stderr); never a token (see maskTokens). */
  log: (line: string) => void;
  /** The `schedule:` entries' timers and results (GET /api/schedules). */
  scheduler: Scheduler;
}
