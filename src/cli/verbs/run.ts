/** `slipway <env> run [--role R | --limit H] -- <command>`: a command in the current release, with the app's env. */
import { runScripts, StageError } from "../../apply/stages.js";
import { pathsFor } from "../../config/paths.js";
import { rolePrimary } from "../../config/roles.js";
import { argv } from "../../commands/quote.js";
import { cmd, type HostScript } from "../../commands/script.js";
import { OperationError, UsageError } from "../../errors.js";
import { commandEnv } from "../../plan/sections.js";
import type { Globals } from "../registry.js";
import { openSession, parseVerb, runOperation, verbCommand } from "../session.js";

interface Opts {
  role?: string;
  limit?: string;
  parallel: string;
}

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmdDef = verbCommand(
    "run",
    "Run a command in the current release on chosen hosts, with the app's environment; output is prefixed by host.",
    "slipway production run --role django_manage -- ./manage.py migrate --plan",
  )
    .argument("<command...>", "the command (put it after --): one argument is a shell string, several are quoted one by one")
    .option("--role <role>", "run on this role's primary host only")
    .option("--limit <hosts>", "run on these hosts, roles or globs (default: all)")
    .option("--parallel <n>", "hosts at once", "64");
  const parsed = parseVerb<Opts>(cmdDef, args, globals);
  if (!parsed) return 0;
  const { opts } = parsed;
  if (opts.role && opts.limit) throw new UsageError("use --role or --limit, not both");
  // One argument is a shell string (`run -- 'a && b'`); several are an argv, each quoted, so
  // `run -- printf %s 'a b'` keeps 'a b' as one argument.
  const command = parsed.args.length === 1 ? parsed.args[0]! : argv(...parsed.args);
  const s = await openSession(
    { ...opts, verbose: true },
    { verb: "run", limit: opts.limit, parallel: Number(opts.parallel), record: true, output: "prefixed" },
  );
  const hosts = opts.role ? [rolePrimary(s.env.hosts, opts.role)] : s.hosts;
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
