/**
 * `slipway <env> run [--role R | --limit H] -- <command>`: a command in the current release, with
 * the app's env. `-i` runs it in a terminal on one host; `--detach` starts it detached (a run id,
 * a log and status files on the host) and `--check <id>` reports on it.
 */
import { runScripts, StageError } from "../../apply/stages.js";
import { pathsFor, RUN_ID } from "../../config/paths.js";
import type { Host } from "../../config/resolve.js";
import { rolePrimary } from "../../config/roles.js";
import { argv } from "../../commands/quote.js";
import { cmd, type HostScript } from "../../commands/script.js";
import { OperationError, Reported, UsageError } from "../../errors.js";
import { commandEnv } from "../../plan/sections.js";
import type { Globals } from "../registry.js";
import { openSession, parseVerb, runOperation, verbCommand } from "../session.js";
import { checkRun, formatRunCheck, runInteractive, startDetachedRun } from "./alias.js";

interface Opts {
  role?: string;
  limit?: string;
  parallel: string;
  interactive?: boolean;
  detach?: boolean;
  check?: string;
}

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmdDef = verbCommand(
    "run",
    "Run a command in the current release on chosen hosts, with the app's environment; output is prefixed by host. -i: in a terminal on one host; --detach: detached, checked with --check <id>.",
    "slipway production run --role django_manage -- ./manage.py migrate --plan",
  )
    .argument("[command...]", "the command (put it after --): one argument is a shell string, several are quoted one by one")
    .option("--role <role>", "run on this role's primary host only")
    .option("--limit <hosts>", "run on these hosts, roles or globs (default: all; -i: exactly one, default the primary)")
    .option("--parallel <n>", "hosts at once", "64")
    .option("-i, --interactive", "in a terminal with stdin, on one host (the primary unless --role/--limit); its exit code is ours")
    .option("--detach", "start it detached on the hosts (survives the connection); prints a run id")
    .option("--check <id>", "report a detached run: status, exit code, log tail (exit 0 done, 1 failed, 3 running)");
  const parsed = parseVerb<Opts>(cmdDef, args, globals);
  if (!parsed) return 0;
  const { opts } = parsed;
  if (opts.role && opts.limit) throw new UsageError("use --role or --limit, not both");
  if ([opts.interactive, opts.detach, opts.check !== undefined].filter(Boolean).length > 1) throw new UsageError("use one of -i, --detach and --check");
  if (opts.check !== undefined) {
    if (parsed.args.length) throw new UsageError("--check takes a run id, not a command");
    if (!RUN_ID.test(opts.check)) throw new UsageError(`--check: ${JSON.stringify(opts.check)} is not a run id (like 20261122-050403-9f3a1c)`);
    return check(opts, opts.check);
  }
  if (!parsed.args.length) throw new UsageError("missing command: slipway <env> run -- <command>");
  // One argument is a shell string (`run -- 'a && b'`); several are an argv, each quoted, so
  // `run -- printf %s 'a b'` keeps 'a b' as one argument.
  const command = parsed.args.length === 1 ? parsed.args[0]! : argv(...parsed.args);
  if (opts.interactive) return interactive(opts, command);
  const s = await openSession(
    { ...opts, verbose: true },
    { verb: "run", limit: opts.limit, parallel: Number(opts.parallel), record: true, output: opts.detach ? undefined : "prefixed", quiet: opts.detach },
  );
  const hosts = pick(s.env.hosts, s.hosts, opts.role);
  if (opts.detach) {
    return runOperation(s, async () => {
      const id = await startDetachedRun(s, hosts, command);
      if (opts.json) s.out.data({ id, hosts: hosts.map((h) => h.name) });
      else s.out.text(`${id}\n`);
      process.stderr.write(
        `started run ${id} on ${hosts.map((h) => h.name).join(", ")}; check with: slipway ${s.env.name} run --check ${id}${opts.role ? ` --role ${opts.role}` : opts.limit ? ` --limit ${opts.limit}` : ""}\n`,
      );
      return [];
    });
  }
  return runOperation(s, async () => {
    const pool = s.ctx.pool;
    const scripts: Record<string, HostScript> = {};
    for (const h of hosts) {
      scripts[h.name] = {
        env: commandEnv(s.env, { SLIPWAY_HOST: h.name }),
        sections: [{ phase: "run", cwd: pathsFor(h.deployTo).current, commands: [cmd(command)] }],
      };
    }
    try {
      await runScripts(s.ctx, pool, hosts, scripts, "run");
      return [`ran on ${hosts.map((h) => h.name).join(", ")}`];
    } catch (e) {
      if (e instanceof StageError)
        throw new OperationError(`failed on ${e.failed.length} of ${hosts.length} host(s):\n${e.failed.map((f) => f.error.message).join("\n")}`);
      throw e;
    }
  });
}

function pick(all: Host[], selected: Host[], role?: string): Host[] {
  return role ? [rolePrimary(all, role)] : selected;
}

async function interactive(opts: Opts & Globals, command: string): Promise<number> {
  const { loadConfig } = await import("../../config/load.js");
  const { resolveEnvironment } = await import("../../config/resolve.js");
  const { selectHosts } = await import("../../config/filter.js");
  const { configPath } = await import("../verb-command.js");
  const env = resolveEnvironment(loadConfig(configPath(opts)), opts.env!);
  const hosts = opts.role ? [rolePrimary(env.hosts, opts.role)] : opts.limit ? selectHosts(env.hosts, opts.limit) : [env.primary];
  if (hosts.length !== 1) throw new UsageError(`-i runs on one host; --limit ${opts.limit} selects ${hosts.length}: ${hosts.map((h) => h.name).join(", ")}`);
  return runInteractive(opts, env, hosts[0]!, command, "run -i");
}

async function check(opts: Opts & Globals, id: string): Promise<number> {
  const s = await openSession(opts, { verb: "run --check", limit: opts.limit, record: false, quiet: true });
  const hosts = pick(s.env.hosts, s.hosts, opts.role);
  let exit: 0 | 1 | 3 = 0;
  const code = await runOperation(s, async () => {
    const rows = await checkRun(s, hosts, id);
    const f = formatRunCheck(id, rows);
    exit = f.exit;
    if (opts.json) s.out.data({ id, exit, hosts: rows.map((r) => ({ host: r.host, ...r.status })) });
    else s.out.text(f.text);
    return [];
  });
  if (code !== 0) return code;
  if (exit !== 0) throw new Reported(exit);
  return 0;
}
