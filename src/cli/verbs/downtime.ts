/** `slipway <env> downtime start [--message M] [--kill-after 60s] | end | status` */
import { downtimeEnd, downtimeStart, downtimeStatus } from "../../apply/downtime.js";
import { withLock } from "../../apply/lock.js";
import { UsageError } from "../../errors.js";
import { table } from "../../render/table.js";
import { parseDuration } from "../duration.js";
import type { Globals } from "../registry.js";
import { openSession, parseVerb, runOperation, verbCommand } from "../session.js";

interface Opts {
  message: string;
  killAfter?: string;
  limit?: string;
  lockWait: string;
}

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    "downtime",
    "Planned downtime: start puts up the maintenance page (nginx answers 503 while the flag exists) and stops the services, waiting for their processes; end starts them, waits for health and removes the page.",
    'slipway production downtime start --message "Back at 14:00 UTC" --kill-after 60s',
  )
    .argument("<action>", "start | end | status")
    .option("--message <text>", "shown on the maintenance page", "We are doing planned maintenance and will be back shortly.")
    .option("--kill-after <duration>", "terminate processes still running this long after the stop (non-interactive)")
    .option("--limit <hosts>", "only these hosts, roles or globs")
    .option("--lock-wait <duration>", "wait this long for the environment lock", "0");
  const parsed = parseVerb<Opts>(cmd, args, globals);
  if (!parsed) return 0;
  const action = parsed.args[0];
  if (!["start", "end", "status"].includes(action ?? "")) throw new UsageError(`downtime: expected start, end or status, got ${JSON.stringify(action)}`);
  const { opts } = parsed;
  const killAfter = opts.killAfter === undefined ? undefined : parseDuration(opts.killAfter, "--kill-after") / 1000;
  const s = await openSession(opts, { verb: `downtime ${action}`, limit: opts.limit, record: action !== "status", quiet: action === "status" });
  return runOperation(s, async () => {
    const pool = s.ctx.pool;
    if (action === "status") {
      const st = await downtimeStatus(s.ctx, pool, s.hosts);
      if (opts.json) s.out.data(st);
      else {
        const rows = Object.entries(st.page).map(([h, v]) => {
          const x = v as { on?: boolean; message?: string; by?: string; since?: string; error?: string };
          return [h, x.error ? `unknown: ${x.error}` : x.on ? "DOWN (maintenance page up)" : "up", x.since ?? "", x.by ?? "", x.message ?? ""];
        });
        s.out.text(table(["HOST", "STATE", "SINCE", "BY", "MESSAGE"], rows));
        const svc = Object.entries(st.services).flatMap(([h, l]) => l.map((x) => [h, x.service, x.ok ? "running" : "stopped", x.output]));
        if (svc.length) s.out.text("\n" + table(["HOST", "SERVICE", "STATE", "CHECK"], svc));
      }
      return [];
    }
    const wait = parseDuration(opts.lockWait, "--lock-wait");
    if (action === "start") {
      return await withLock(s.ctx, pool, "downtime start", opts.message, wait, () => downtimeStart(s.ctx, pool, s.hosts, opts.message, killAfter, Boolean(process.stdin.isTTY && process.stderr.isTTY)));
    }
    return await withLock(s.ctx, pool, "downtime end", "", wait, () => downtimeEnd(s.ctx, pool, s.hosts));
  });
}
