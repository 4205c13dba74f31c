/** `slipway <env> update-config [--limit role] [--diff] [--restart] [--force]` */
import { previewConfigPush, updateConfig } from "../../apply/configpush.js";
import { configPushView, formatConfigPushPlan } from "../../plan/format-ops.js";
import { withLock } from "../../apply/lock.js";
import { runServiceAction } from "../../apply/services.js";
import type { Globals } from "../registry.js";
import { openSession, parseVerb, runOperation, verbCommand } from "../session.js";

interface Opts {
  limit?: string;
  diff?: boolean;
  restart?: boolean;
  force?: boolean;
  plan?: boolean;
}

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    "update-config",
    "Render the settings files (config_files) and push them to the hosts, showing a diff first; files that use secrets get mode 0600. Refused when this checkout is older than the last push (drift guard).",
    "slipway production update-config --limit formplayer --restart",
  )
    .option("--limit <hosts>", "only these hosts, roles or globs")
    .option("--diff", "only show what would change")
    .option("--plan", "show the diffs and each host's push commands; change nothing")
    .option("--restart", "restart the services on the hosts whose files changed (only those)")
    .option("--force", "push even if the drift guard refuses (recorded on the hosts)");
  const parsed = parseVerb<Opts>(cmd, args, globals);
  if (!parsed) return 0;
  const { opts } = parsed;
  const preview = Boolean(opts.diff || opts.plan);
  const s = await openSession(opts, {
    verb: opts.plan ? "update-config --plan" : opts.diff ? "update-config --diff" : "update-config",
    limit: opts.limit,
    record: !preview,
    quiet: preview,
  });
  if (opts.plan) {
    return runOperation(s, async () => {
      const plan = await previewConfigPush(s.ctx, s.ctx.pool, s.hosts, Boolean(opts.force));
      // The scripts hold the files' contents: only their descriptions are shown, as text or JSON.
      if (opts.json) s.out.data(configPushView(plan));
      else s.out.text(formatConfigPushPlan(plan));
      return [];
    });
  }
  return runOperation(s, async () => {
    const pool = s.ctx.pool;
    const work = async () => {
      const r = await updateConfig(s.ctx, pool, s.hosts, { diffOnly: Boolean(opts.diff), force: Boolean(opts.force) });
      // Diffs go through the session's redactor like every other output; with --json, stdout
      // carries NDJSON only (one line per file diff, beside the event lines).
      if (opts.json) for (const d of r.diffs) s.out.data({ type: "config:diff", host: d.host, file: d.dest, diff: d.diff, ts: new Date().toISOString() });
      else s.out.text(r.diffs.length ? r.diffs.map((d) => d.diff).join("") : "no changes\n");
      if (opts.diff) return [];
      // Only hosts whose files changed are restarted: an unchanged host keeps running undisturbed.
      const restart = opts.restart ? r.changedHosts : [];
      if (restart.length) await runServiceAction(s.ctx, pool, restart, s.env.services, "restart");
      return [
        `pushed ${s.env.configFiles.length} file(s) to ${r.pushedHosts.length} host(s); ${r.changed} changed${restart.length ? `; services restarted on ${restart.map((h) => h.name).join(", ")}` : ""}`,
      ];
    };
    return opts.diff ? await work() : await withLock(s.ctx, pool, "update-config", "", 0, work);
  });
}
