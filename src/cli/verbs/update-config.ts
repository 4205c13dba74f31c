/** `slipway <env> update-config [--limit role] [--diff] [--restart] [--force]` */
import { ExecutorPool } from "../../apply/context.js";
import { updateConfig } from "../../apply/configpush.js";
import { withLock } from "../../apply/lock.js";
import { runServiceAction } from "../../apply/services.js";
import { makeRedactor } from "../../events/redact.js";
import type { Globals } from "../registry.js";
import { openSession, parseVerb, runOperation, verbCommand } from "../session.js";

interface Opts {
  limit?: string;
  diff?: boolean;
  restart?: boolean;
  force?: boolean;
}

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    "update-config",
    "Render the settings files (config_files) and push them to the hosts, showing a diff first; files that use secrets get mode 0600. Refused when this checkout is older than the last push (drift guard).",
    "slipway production update-config --limit formplayer --restart",
  )
    .option("--limit <hosts>", "only these hosts, roles or globs")
    .option("--diff", "only show what would change")
    .option("--restart", "restart the services on the hosts that changed")
    .option("--force", "push even if the drift guard refuses (recorded on the hosts)");
  const parsed = parseVerb<Opts>(cmd, args, globals);
  if (!parsed) return 0;
  const { opts } = parsed;
  const s = await openSession(opts, { verb: opts.diff ? "update-config --diff" : "update-config", limit: opts.limit, record: !opts.diff, quiet: opts.diff });
  const redact = makeRedactor([...Object.values(s.env.secrets), ...s.env.redact]);
  return runOperation(s, async () => {
    const pool = new ExecutorPool(s.ctx.connect);
    try {
      const work = async () => {
        const r = await updateConfig(s.ctx, pool, s.hosts, { diffOnly: Boolean(opts.diff), force: Boolean(opts.force) });
        // Diffs go through the same redaction as every other output.
        if (r.diffs.length) process.stdout.write(redact(r.diffs.join("")));
        else process.stdout.write("no changes\n");
        if (opts.diff) return [];
        if (opts.restart && r.changed) await runServiceAction(s.ctx, pool, r.pushedHosts, s.env.services, "restart");
        return [`pushed ${s.env.configFiles.length} file(s) to ${r.pushedHosts.length} host(s); ${r.changed} changed${opts.restart && r.changed ? "; services restarted" : ""}`];
      };
      return opts.diff ? await work() : await withLock(s.ctx, pool, "update-config", "", 0, work);
    } finally {
      await pool.closeAll();
    }
  });
}
