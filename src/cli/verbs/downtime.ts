/** `slipway <env> downtime start [--message M] [--kill-after 60s] | end | status [--plan]` */
import { planData } from "../../plan/format.js";
import { applyDowntime, downtimeStatus } from "../../apply/downtime.js";
import { withLock } from "../../apply/lock.js";
import { readAnnouncements } from "../../apply/records.js";
import { now } from "../../config/clock.js";
import { announcementGate } from "../../plan/announce.js";
import { OperationError, UsageError } from "../../errors.js";
import { planDowntime } from "../../plan/downtime.js";
import { formatOpsPlan } from "../../plan/format-ops.js";
import { ask } from "../../render/prompt.js";
import { table } from "../../render/table.js";
import { parseDuration } from "../duration.js";
import type { Globals } from "../registry.js";
import { openSession, parseVerb, runOperation, verbCommand, type Session } from "../session.js";

interface Opts {
  message: string;
  unannounced?: string;
  killAfter?: string;
  limit?: string;
  lockWait: string;
  plan?: boolean;
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
    .option("--plan", "only print what start or end would do on each host; change nothing, take no lock")
    .option("--unannounced <why>", "start even though no announcement covers now (where announce: is configured); the reason is recorded")
    .option("--limit <hosts>", "only these hosts, roles or globs")
    .option("--lock-wait <duration>", "wait this long for the environment lock", "0");
  const parsed = parseVerb<Opts>(cmd, args, globals);
  if (!parsed) return 0;
  const action = parsed.args[0];
  if (!["start", "end", "status"].includes(action ?? "")) throw new UsageError(`downtime: expected start, end or status, got ${JSON.stringify(action)}`);
  const { opts } = parsed;
  if (opts.plan && action === "status") throw new UsageError("downtime status changes nothing: --plan is for start and end");
  const killAfterS = opts.killAfter === undefined ? undefined : parseDuration(opts.killAfter, "--kill-after") / 1000;
  const readOnly = action === "status" || Boolean(opts.plan);
  const s = await openSession(opts, { verb: opts.plan ? "plan" : `downtime ${action}`, limit: opts.limit, record: !readOnly, quiet: readOnly });
  return runOperation(s, async () => {
    if (action === "status") return status(s, Boolean(opts.json));
    // Questions about stragglers only when someone is at a terminal to answer them.
    const interactive = Boolean(process.stdin.isTTY && process.stderr.isTTY);
    const planNow = () => {
      const plan = planDowntime(s.env, s.hosts, action as "start" | "end", opts.message, { by: s.ctx.by, killAfterS, interactive });
      if ("refuse" in plan) throw new OperationError(plan.refuse);
      return plan;
    };
    if (opts.plan) {
      const plan = planNow();
      if (opts.json) s.out.data(planData(plan));
      else s.out.text(formatOpsPlan(plan));
      return [];
    }
    const reason = action === "start" ? (opts.unannounced ? `unannounced: ${opts.unannounced}` : opts.message) : "";
    // Planned inside the lock, so the flag's `since` is when the page really goes up.
    return await withLock(s.ctx, s.ctx.pool, `downtime ${action}`, reason, parseDuration(opts.lockWait, "--lock-wait"), async () => {
      if (action === "start") await announcedOrRefuse(s, opts.unannounced);
      return applyDowntime(s.ctx, s.ctx.pool, s.hosts, planNow(), interactive ? ask : undefined);
    });
  });
}

/** With `announce:` configured, planned downtime needs an announcement made `announce.hours` ahead that covers now. */
async function announcedOrRefuse(s: Session, unannounced: string | undefined): Promise<void> {
  const a = s.env.announce;
  if (!a.gate) return;
  const g = announcementGate(await readAnnouncements(s.ctx), now(), a.hours, s.env.name, a.timezone);
  if (g.ok) return s.bus.info(`gate pass announcement: ${g.line}`);
  if (unannounced) return s.bus.warn(`downtime without a covering announcement (--unannounced: ${unannounced}): ${g.line}`);
  throw new OperationError(
    `downtime start refused: announcement: ${g.line}${g.hint ? `\n  → ${g.hint}` : ""}\n  (an emergency: --unannounced "why", recorded in the lock and this machine's log)`,
  );
}

async function status(s: Session, json: boolean): Promise<string[]> {
  const st = await downtimeStatus(s.ctx, s.ctx.pool, s.hosts);
  if (json) {
    s.out.data(st);
    return [];
  }
  const rows = Object.entries(st.page).map(([h, v]) => {
    const x = v as { on?: boolean; message?: string; by?: string; since?: string; error?: string };
    return [h, x.error ? `unknown: ${x.error}` : x.on ? "DOWN (maintenance page up)" : "up", x.since ?? "", x.by ?? "", x.message ?? ""];
  });
  s.out.text(table(["HOST", "STATE", "SINCE", "BY", "MESSAGE"], rows));
  const svc = Object.entries(st.services).flatMap(([h, l]) => l.map((x) => [h, x.service, x.ok ? "running" : "stopped", x.output]));
  if (svc.length) s.out.text("\n" + table(["HOST", "SERVICE", "STATE", "CHECK"], svc));
  return [];
}
