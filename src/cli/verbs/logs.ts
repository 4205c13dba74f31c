/** `slipway <env> logs [service] [--role R | --limit H] [-f] [-n 100] [--since 10m]`: service logs of every host, merged and prefixed. */
import type { LogOptions } from "../../commands/logs.js";
import { logTargets, readLogs } from "../../apply/logs.js";
import { OperationError, UsageError } from "../../errors.js";
import { pickServices } from "../../apply/services.js";
import { parseDuration, parsePositiveInt } from "../duration.js";
import type { Globals } from "../registry.js";
import { openSession, parseVerb, runOperation, verbCommand } from "../session.js";

interface Opts {
  role?: string;
  limit?: string;
  follow?: boolean;
  lines: string;
  since?: string;
}

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    "logs",
    "Print the last lines of each service's log on every host (supervisord log files, the systemd journal, or a command service's `log:` file), prefixed by host and service; -f keeps following until Ctrl-C (which exits 0).",
    "slipway production logs web -f --role web",
  )
    .argument("[service]", "a service from `services:` (default: all)")
    .option("--role <role>", "every host with this role")
    .option("--limit <hosts>", "only these hosts, roles or globs")
    .option("-f, --follow", "keep printing new lines until Ctrl-C")
    .option("-n, --lines <n>", "lines per host and service", "100")
    .option("--since <duration>", "only lines newer than this (10m, 2h): the journal always; log files only where lines start with an ISO timestamp");
  const parsed = parseVerb<Opts>(cmd, args, globals);
  if (!parsed) return 0;
  const { opts } = parsed;
  if (opts.role && opts.limit) throw new UsageError("use --role or --limit, not both");
  const o: LogOptions = {
    lines: parsePositiveInt(opts.lines, "--lines"),
    follow: Boolean(opts.follow),
    sinceSeconds: opts.since === undefined ? undefined : parseDuration(opts.since, "--since") / 1000,
  };
  const s = await openSession(opts, { verb: "logs", limit: opts.limit, record: false, quiet: true });
  return runOperation(s, async () => {
    const services = pickServices(s.env, parsed.args[0] ?? "all");
    const hosts = opts.role ? s.hosts.filter((h) => h.roles.includes(opts.role!)) : s.hosts;
    if (!hosts.length) throw new UsageError(`no host has role "${opts.role}"`);
    const targets = logTargets(hosts, services);
    if (!targets.length) throw new OperationError("no service runs on the selected hosts");
    // One line per write, each through the session's redactor and terminal sanitiser.
    const outcomes = await readLogs(s.ctx, targets, o, (line) => s.out.text(`${line}\n`));
    const bad = outcomes.filter((x) => x.problem);
    if (bad.length)
      throw new OperationError(
        `could not read ${bad.length} of ${outcomes.length} log(s):\n${bad.map((b) => `${b.target.prefix.trim()}: ${b.problem}`).join("\n")}`,
      );
    return [];
  });
}
