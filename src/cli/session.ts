/**
 * What every environment verb shares: load config once, resolve the environment, wire the event
 * bus to a renderer, the run log and the state store, and turn Ctrl-C into an abort signal.
 */
import { randomUUID } from "node:crypto";
import path from "node:path";
import { loadConfig, type LoadedConfig } from "../config/load.js";
import { resolveEnvironment, type Environment, type Host } from "../config/resolve.js";
import { selectHosts } from "../config/filter.js";
import { ConfigError, InterruptedError, OperationError, Reported, UsageError } from "../errors.js";
import { EventBus } from "../events/bus.js";
import { makeRedactor, type Redactor } from "../events/redact.js";
import { readKey } from "../config/secrets.js";
import { chatSecrets } from "../config/chat.js";
import { stateSecrets } from "../config/state.js";
import { makeOutput, type Output } from "../render/output.js";
import { privateDir } from "../store/private.js";
import { executorFactory } from "../exec/factory.js";
import { PlainRenderer, PrefixedRenderer, QuietRenderer } from "../render/plain.js";
import { NdjsonRenderer } from "../render/ndjson.js";
import { TtyRenderer } from "../render/tty.js";
import { LogFileSink, logFileName } from "../render/logfile.js";
import { colorEnabled } from "../render/color.js";
import type { RunContext } from "../apply/context.js";
import { ExecutorPool, whoAmI } from "../apply/context.js";
import { VERSION } from "../version.js";
import { Notifier, NotifySink } from "../notify/notifier.js";
import type { Globals } from "./registry.js";
import { type NewRun, RUN_KEY, StoreRefusedError } from "../store/store.js";
import { hostVarWarnings } from "../plan/sections.js";

export { verbCommand, parseVerb, configPath } from "./verb-command.js";
import { configPath } from "./verb-command.js";

/** Where the control machine keeps its state: `.slipway/` beside the config, or $SLIPWAY_STATE_DIR. */
export function stateDir(env: Environment): string {
  return stateDirOf(env.configDir);
}

/** stateDir for a config directory (one state.db there holds every environment's runs). */
export function stateDirOf(configDir: string): string {
  return path.resolve(process.env.SLIPWAY_STATE_DIR ?? path.join(configDir, ".slipway"));
}

/** How long a run's end waits for a shared store that is away ($SLIPWAY_STATE_WAIT_MS, default 15 s). */
function stateWaitMs(): number {
  const n = Number(process.env.SLIPWAY_STATE_WAIT_MS);
  return Number.isFinite(n) && n >= 0 && process.env.SLIPWAY_STATE_WAIT_MS ? n : 15_000;
}
/** How long a run's start waits for the store to create its row (a store that is down answers at once). */
const STATE_START_WAIT_MS = 6000;

/**
 * Every value that must never be printed: secrets, notification credentials, the secrets key
 * itself (from $SLIPWAY_SECRETS_KEY and from the key file, whichever is in use), and the state
 * store's PostgreSQL URL and password.
 */
export function sessionRedactor(loaded: LoadedConfig, env: Environment, extra: string[] = []): Redactor {
  const keys = [process.env.SLIPWAY_SECRETS_KEY, readKey(loaded.raw.secrets_key_file, loaded.dir, () => undefined)];
  return makeRedactor([
    ...Object.values(env.secrets),
    ...env.redact,
    ...keys.filter((k): k is string => Boolean(k)),
    ...stateSecrets(loaded.raw),
    ...chatSecrets(loaded.raw),
    ...extra,
  ]);
}

export interface Session {
  loaded: LoadedConfig;
  env: Environment;
  hosts: Host[];
  ctx: RunContext;
  bus: EventBus;
  /** The redactor every sink uses. */
  redact: Redactor;
  /** Data and text a verb prints on stdout: redacted, text sanitised for the terminal. */
  out: Output;
  logPath: string;
  finish(ok: boolean, summary: string[]): Promise<void>;
}

export interface SessionOptions {
  verb: string;
  limit?: string;
  parallel?: number;
  /** Record the run in the state store and keep a log file (mutating verbs). */
  record: boolean;
  /** Read-only verbs print their data; progress is hidden, only warnings and failures show. */
  quiet?: boolean;
  /** `run`: command output on stdout prefixed by host. */
  output?: "prefixed";
  /** A component's release track instead of the app's. */
  component?: string | null;
  /** Secret values this run brings besides the config's (e.g. a private key given with --key). */
  redact?: string[];
}

export async function openSession(globals: Globals, o: SessionOptions): Promise<Session> {
  if (!globals.env) throw new UsageError("missing environment");
  const loaded = loadConfig(configPath(globals));
  const env = resolveEnvironment(loaded, globals.env, undefined, o.component ?? null);
  const hosts = selectHosts(env.hosts, o.limit);
  const redactor = sessionRedactor(loaded, env, o.redact);
  const bus = new EventBus(redactor);
  if (o.quiet) bus.add(new QuietRenderer(process.stderr));
  else if (o.output === "prefixed" && !globals.json) bus.add(new PrefixedRenderer(process.stdout, process.stderr));
  else if (globals.json) bus.add(new NdjsonRenderer(process.stdout));
  else if (process.stderr.isTTY && !globals.verbose)
    bus.add(new TtyRenderer(process.stderr, { color: colorEnabled(process.stderr, Boolean(globals.noColor)), hosts: hosts.length }));
  else bus.add(new PlainRenderer(process.stderr, globals.verbose));

  const started = new Date();
  const dir = stateDir(env);
  const logPath = path.join(dir, "logs", logFileName(started, env.name, o.verb, process.pid));
  let finishStore: (() => Promise<void>) | null = null;
  if (o.record) {
    privateDir(dir);
    bus.add(new LogFileSink(logPath));
    finishStore = await recordRun(loaded, dir, bus, redactor, {
      key: runKey(),
      verb: o.component ? `${o.verb} ${o.component}` : o.verb,
      env: env.name,
      by: whoAmI(),
      startedAt: started.toISOString(),
      logPath,
    });
  }

  let notifier: Notifier | undefined;
  if (o.record && (env.notify.webhooks.length || env.notify.email)) {
    notifier = new Notifier(env.notify, bus, redactor);
    bus.add(new NotifySink(notifier, env.app + (env.component ? `/${env.component}` : ""), env.name));
  }

  for (const w of hostVarWarnings(env)) bus.warn(w);

  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupts++;
    if (interrupts > 1) {
      process.stderr.write(`\n${sig} again: exiting now; the lock may remain (slipway ${env.name} lock status)\n`);
      process.exit(130);
    }
    bus.warn(`${sig} received: stopping and cleaning up (press Ctrl-C again to quit at once)`);
    controller.abort(new InterruptedError());
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  // One connection pool for the whole session: every operation of the verb (and each component of
  // `deploy --all`) reuses the same connections, and they are closed once, in finish().
  const pool = new ExecutorPool(executorFactory(env));
  const ctx: RunContext = {
    env,
    bus,
    signal: controller.signal,
    pool,
    parallel: o.parallel ?? 64,
    by: whoAmI(),
    toolVersion: VERSION,
    stateDir: dir,
    notifier,
  };
  return {
    loaded,
    env,
    hosts,
    ctx,
    bus,
    redact: redactor,
    out: makeOutput(redactor),
    logPath,
    async finish(ok, summary) {
      // Round trips per host are reported for operations that change hosts (the benchmark reads them).
      await pool.closeAll(o.record ? bus : undefined);
      bus.emit({ type: "run:end", ok, summary, durationMs: Date.now() - started.getTime(), logPath: o.record ? logPath : undefined });
      await bus.close();
      await finishStore?.();
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}

/**
 * Record the run in the configured store; returns what finish() calls. A local store that fails
 * fails the run at once; a shared one that is unreachable only warns: the run goes on, its events
 * wait in memory and the sink keeps trying (the log file has everything either way). A store that
 * refuses this CLI (schema newer than it knows) stops the run before it starts.
 */
async function recordRun(loaded: LoadedConfig, dir: string, bus: EventBus, redact: Redactor, run: NewRun): Promise<() => Promise<void>> {
  const { openStateStore } = await import("../store/open.js");
  const { StoreSink, unrecordedWarning } = await import("../store/sink.js");
  const store = await openStateStore(loaded, dir);
  const sink = new StoreSink(store, run);
  const err = await sink.start(STATE_START_WAIT_MS);
  if (err && (err instanceof StoreRefusedError || !store.remote)) {
    await sink.drain(0);
    await store.close();
    throw err;
  }
  bus.add(sink);
  if (err) bus.warn(`${store.label} is unreachable (${(err as Error).message ?? err}): the run goes on; its events are kept and written if it answers`);
  return async () => {
    const lost = await sink.drain(stateWaitMs());
    await store.close();
    if (lost) process.stderr.write(`${redact(unrecordedWarning(store.label, lost, run.logPath))}\n`);
  };
}

/** Run an operation inside a session: success and failure both end with run:end; failures exit 1 (130 if interrupted). */
export async function runOperation(s: Session, op: () => Promise<string[]>): Promise<number> {
  try {
    const summary = await op();
    await s.finish(true, summary);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError || (e instanceof UsageError && !(e instanceof OperationError))) {
      await s.finish(false, [`error: ${(e as Error).message}`]);
      throw new Reported(2);
    }
    const interrupted = s.ctx.signal.aborted;
    await s.finish(false, (e as Error).message.split("\n"));
    if (!(e instanceof OperationError) && s.ctx.bus && (process.argv.includes("-v") || process.argv.includes("--verbose")))
      process.stderr.write(`${s.redact(String((e as Error).stack))}
`);
    throw new Reported(interrupted ? 130 : 1);
  }
}

/**
 * The run's unique key: `slipway serve` passes the one it chose in SLIPWAY_RUN_KEY, so it can find the
 * run it started (StateStore.runByKey) and stream its log; anything but a UUID there is ignored.
 */
function runKey(): string {
  const k = process.env.SLIPWAY_RUN_KEY;
  return k && RUN_KEY.test(k) ? k : randomUUID();
}
