/** `slipway serve [--listen 127.0.0.1:7777] [--tls-cert F --tls-key F] [--insecure-listen]`: the HTTP API (and, later, the dashboard). */
import { readFileSync } from "node:fs";
import path from "node:path";
import { now } from "../../config/clock.js";
import { slackSettings } from "../../config/chat.js";
import { loadConfig } from "../../config/load.js";
import { environmentNames, resolveEnvironment } from "../../config/resolve.js";
import { stateSecrets } from "../../config/state.js";
import { UsageError } from "../../errors.js";
import { makeRedactor } from "../../events/redact.js";
import { commaList, parseDuration } from "../duration.js";
import type { Globals } from "../registry.js";
import { sessionRedactor, stateDirOf } from "../session.js";
import { configPath, parseVerb, verbCommand } from "../verb-command.js";

interface Opts {
  listen: string;
  tlsCert?: string;
  tlsKey?: string;
  insecureListen?: boolean;
  trustProxy?: string[];
  readTimeout: string;
}

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    "serve",
    "Serve the read-only HTTP API (environments, history, run events, schedules) for this slipway.yml and run its `schedule:` deploys. Every /api route but /api/health needs `Authorization: Bearer <token>` (slipway tokens create). Loopback only unless TLS is given or --insecure-listen.",
    "slipway serve --listen 127.0.0.1:7777",
  )
    .option("--listen <host:port>", "address to listen on", "127.0.0.1:7777")
    .option("--tls-cert <file>", "PEM certificate: serve HTTPS (with --tls-key)")
    .option("--tls-key <file>", "PEM private key for --tls-cert")
    .option("--insecure-listen", "allow a non-loopback address without TLS (a TLS proxy or private network protects it)")
    .option("--trust-proxy <addresses>", "believe X-Forwarded-For/-Proto from these proxies (comma-separated addresses or CIDRs, e.g. 127.0.0.1)", commaList)
    .option("--read-timeout <duration>", "give up on a host read after this long and report the host unreachable", "10s");
  const parsed = parseVerb<Opts>(cmd, args, globals);
  if (!parsed) return 0;
  const o = parsed.opts;
  const { DEFAULT_LISTEN, listenRefusal, parseListen } = await import("../../serve/listen.js");
  const addr = parseListen(o.listen ?? DEFAULT_LISTEN);
  if (Boolean(o.tlsCert) !== Boolean(o.tlsKey)) throw new UsageError("--tls-cert and --tls-key go together");
  const refusal = listenRefusal(addr, { tls: Boolean(o.tlsCert), insecure: Boolean(o.insecureListen) });
  if (refusal) throw new UsageError(refusal);
  const readTimeoutMs = parseDuration(o.readTimeout, "--read-timeout");
  const tls = o.tlsCert && o.tlsKey ? { cert: readPem(o.tlsCert, "--tls-cert"), key: readPem(o.tlsKey, "--tls-key") } : undefined;

  const loaded = loadConfig(configPath(o));
  // Resolved once: a missing secret or key stops the server here (exit 2), as it would stop a verb.
  const environments = new Map(
    environmentNames(loaded.raw).map((n) => {
      const env = resolveEnvironment(loaded, n);
      return [n, { env, redact: sessionRedactor(loaded, env) }] as const;
    }),
  );
  // Read at start-up like the environments' secrets: an unset signing secret stops the server here.
  const slack = slackSettings(loaded.raw);
  const { openStateStore } = await import("../../store/open.js");
  const { FailureLimiter } = await import("../../serve/limiter.js");
  const { buildServer } = await import("../../serve/server.js");
  const { SessionStore } = await import("../../serve/sessions.js");
  const { EnvironmentReads } = await import("../../serve/reads.js");
  const { ActionRunner } = await import("../../serve/runner.js");
  const { Scheduler } = await import("../../serve/scheduler.js");
  const { hostClaim } = await import("../../serve/schedule-claim.js");
  const stateDir = stateDirOf(loaded.dir);
  const store = await openStateStore(loaded, stateDir);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  // Actions run this very CLI (the bundle this process runs) on this very config, from the config's directory, as a terminal would.
  const runner = new ActionRunner({ cliPath: process.argv[1]!, configPath: path.resolve(configPath(o)), cwd: loaded.dir });
  const scheduler = new Scheduler({ schedules: loaded.raw.schedule, now, runner, store, stateDir, claim: hostClaim(environments), log });
  const stopping = new AbortController();
  const ctx: import("../../serve/context.js").ServeContext = {
    loaded,
    environments,
    store,
    stateDir,
    readTimeoutMs,
    // 10 failed tokens a minute per address: ample for a mistyped token, hopeless for guessing 256 bits anyway.
    limiter: new FailureLimiter({ max: 10, windowMs: 60_000 }),
    // A working day: a session outliving it is more likely a forgotten tab than a person.
    sessions: new SessionStore({ ttlMs: 12 * 3_600_000 }),
    // A minute: long enough to carry a watched overview from one refresh to the next, short enough
    // that an idle server holds no connections.
    reads: new EnvironmentReads(60_000),
    runner,
    scheduler,
    slack,
    tls: Boolean(tls),
    trustProxy: o.trustProxy,
    shutdown: stopping.signal,
    // The store URL's secrets and every environment's (a host error or stack trace may quote them).
    redact: [...environments.values()].reduce<(t: string) => string>((r, e) => (t) => e.redact(r(t)), makeRedactor(stateSecrets(loaded.raw))),
    log,
  };
  const app = buildServer(ctx, tls);
  try {
    await app.listen({ host: addr.host, port: addr.port });
  } catch (e) {
    await store.close();
    throw new UsageError(`cannot listen on ${o.listen}: ${(e as Error).message}`);
  }
  const bound = app.server.address();
  const port = typeof bound === "object" && bound ? bound.port : addr.port;
  const host = addr.host.includes(":") ? `[${addr.host}]` : addr.host;
  log(`slipway serve: listening on ${tls ? "https" : "http"}://${host}:${port} (app ${loaded.raw.app}, ${store.label}); Ctrl-C stops`);
  scheduler.start();
  if (loaded.raw.schedule.length) for (const s of scheduler.list()) log(`schedule ${s.name}: ${s.env} "${s.cron}" ${s.timezone}; next ${s.next ?? "never"}`);
  await new Promise<void>((resolve) => {
    const stop = (sig: NodeJS.Signals) => {
      log(`${sig} received: stopping`);
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  // Scheduled deploys and other actions get SIGINT (they release their locks) and are waited for;
  // close() lets requests in flight finish; the store closes after them.
  stopping.abort();
  await scheduler.stop();
  await runner.stopAll();
  await app.close();
  await ctx.reads.closeAll();
  await store.close();
  return 0;
}

function readPem(file: string, flag: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new UsageError(`${flag}: cannot read ${file}: ${(e as Error).message}`);
  }
}
