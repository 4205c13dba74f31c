/**
 * `logs`: read (or follow) each service's log on each host, concurrently, and hand back whole
 * prefixed lines. A host that cannot be reached or has no log file becomes a line, never an exception,
 * so with `-f` the other hosts keep streaming.
 */
import { lineSplitter } from "../exec/runner.js";
import { hasIsoTimestamp, type LogOptions, type LogSource, logCommand, logSource, NO_FILE_MARKER } from "../commands/logs.js";
import { servicesOn } from "../commands/services/backend.js";
import { pathsFor } from "../config/paths.js";
import type { Host, Service } from "../config/resolve.js";
import type { RunContext } from "./context.js";

/** One stream to read: a service's log on a host, and the prefix its lines carry. */
export interface LogTarget {
  host: Host;
  source: LogSource;
  prefix: string;
}

/** Every (host, service) pair to read, prefixed `host service` (just `host` when one service is asked for), aligned. */
export function logTargets(hosts: Host[], services: Service[]): LogTarget[] {
  const pairs = hosts.flatMap((host) => servicesOn(services, host.roles).map((svc) => ({ host, source: logSource(svc, pathsFor(host.deployTo)) })));
  const several = services.length > 1;
  const hw = Math.max(0, ...pairs.map((p) => p.host.name.length));
  const sw = Math.max(0, ...pairs.map((p) => p.source.service.length));
  return pairs.map((p) => ({ ...p, prefix: several ? `${p.host.name.padEnd(hw)} ${p.source.service.padEnd(sw)}` : p.host.name.padEnd(hw) }));
}

/** Whole lines of a log (the runner's splitter), a Windows line end dropped. */
export const logLines = (onLine: (line: string) => void) => lineSplitter((l) => onLine(l.endsWith("\r") ? l.slice(0, -1) : l));

/** What reading one target came to: ok, or the problem (also already shown as a line). */
export interface LogOutcome {
  target: LogTarget;
  problem?: string;
}

/**
 * Read every target at once; `emit` gets each whole line with its prefix (`web1 web | ...`), in
 * arrival order when following, else one target after another in config order. Ends when every
 * command has ended, or when ctx.signal aborts (Ctrl-C): the executors then stop the remote commands.
 */
export async function readLogs(ctx: RunContext, targets: LogTarget[], o: LogOptions, emit: (line: string) => void): Promise<LogOutcome[]> {
  const warnedUntimed = new Set<LogTarget>();
  const readOne = async (t: LogTarget, out: (line: string) => void): Promise<LogOutcome> => {
    const say = (text: string) => out(`${t.prefix} | ${text}`);
    const cmd = logCommand(t.source, o);
    if (cmd === null) {
      say(`(${t.source.kind === "none" ? t.source.note : "nothing to read"})`);
      return { target: t };
    }
    let first = true;
    const stdout = logLines((line) => {
      // Files carry no timestamps in general: say once when --since could not apply to this one.
      if (first && o.sinceSeconds !== undefined && t.source.kind === "file" && !hasIsoTimestamp(line) && !warnedUntimed.has(t)) {
        warnedUntimed.add(t);
        ctx.bus.warn(
          `${t.prefix.trim()}: lines do not start with an ISO timestamp, so --since cannot filter them (it always applies to journald)`,
          t.host.name,
        );
      }
      first = false;
      say(line);
    });
    let noFile = false;
    const stderr = logLines((line) => {
      if (line === NO_FILE_MARKER && t.source.kind === "file") {
        noFile = true;
        say(`(no log file ${t.source.shown} yet${o.follow ? "; waiting for it" : ""})`);
      } else if (line.trim()) ctx.bus.warn(`${t.prefix.trim()}: ${line}`, t.host.name);
    });
    try {
      const ex = await ctx.pool.get(t.host);
      const r = await ex.exec(cmd, { onStdout: stdout.push, onStderr: stderr.push, signal: ctx.signal });
      stdout.flush();
      stderr.flush();
      if (ctx.signal.aborted || r.code === 0 || noFile) return { target: t };
      const problem = `exited with ${r.code ?? r.signal ?? "no status"}`;
      say(`(${problem})`);
      return { target: t, problem };
    } catch (e) {
      stdout.flush();
      if (ctx.signal.aborted) return { target: t };
      const problem = `unreachable: ${(e as Error).message}`;
      say(`(${problem})`);
      return { target: t, problem };
    }
  };
  if (o.follow) return Promise.all(targets.map((t) => readOne(t, emit)));
  // Not following: all read at once, printed in order, so each host's block stays together.
  const buffers = targets.map(() => [] as string[]);
  const runs = targets.map((t, i) => readOne(t, (l) => buffers[i]!.push(l)));
  const outcomes: LogOutcome[] = [];
  for (const [i, run] of runs.entries()) {
    outcomes.push(await run);
    for (const l of buffers[i]!) emit(l);
  }
  return outcomes;
}
