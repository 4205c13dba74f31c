/** `slipway <env> announce --start '2026-12-01 22:00' --duration 45m --nature N --affected A --experience E` */
import { now } from "../../config/clock.js";
import { newRecordId, writeOnPrimary } from "../../apply/records.js";
import { UsageError } from "../../errors.js";
import type { Announcement } from "../../plan/announce-input.js";
import { announcementText, formatLocal, parseLocalTime } from "../../plan/announce.js";
import { parseDuration } from "../duration.js";
import type { Globals } from "../registry.js";
import { openSession, parseVerb, runOperation, verbCommand } from "../session.js";

interface Opts {
  start?: string;
  duration?: string;
  nature?: string;
  affected?: string;
  experience?: string;
}

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    "announce",
    "Announce a downtime: stored on the primary (so any control machine sees it) and sent through the configured notifications. A deploy that needs downtime is refused unless an announcement made at least announce.hours (default 72) before covers it.",
    `slipway production announce --start '2026-12-01 22:00' --duration 45m --nature "database upgrade" --affected "all students and teachers" --experience "the site shows a maintenance page"`,
  )
    .option("--start <time>", "when it starts, 'YYYY-MM-DD HH:MM' in the environment's announce.timezone")
    .option("--duration <duration>", "how long it lasts (45m, 2h)")
    .option("--nature <text>", "what is done")
    .option("--affected <text>", "who is affected")
    .option("--experience <text>", "what they will see");
  const parsed = parseVerb<Opts>(cmd, args, globals);
  if (!parsed) return 0;
  const o = parsed.opts;
  const missing = (["start", "duration", "nature", "affected", "experience"] as const).filter((k) => !o[k]?.trim());
  if (missing.length) throw new UsageError(`announce needs all five facts; missing: ${missing.map((k) => `--${k}`).join(", ")}`);
  const s = await openSession(o, { verb: "announce", record: true, quiet: true });
  const tz = s.env.announce.timezone;
  const start = parseLocalTime(o.start!, tz);
  if (!start) throw new UsageError(`--start: expected 'YYYY-MM-DD HH:MM' (in ${tz}), got ${JSON.stringify(o.start)}`);
  const ms = parseDuration(o.duration!, "--duration");
  if (ms < 60_000) throw new UsageError(`--duration: at least 1m, got ${JSON.stringify(o.duration)}`);
  const made = now();
  const a: Announcement = {
    id: newRecordId("a"),
    made: made.toISOString(),
    by: s.ctx.by,
    start: start.toISOString(),
    durationMin: Math.ceil(ms / 60_000),
    timezone: tz,
    nature: o.nature!.trim(),
    affected: o.affected!.trim(),
    experience: o.experience!.trim(),
  };
  return runOperation(s, async () => {
    await writeOnPrimary(s.ctx, "announcements", a.id, a);
    const msg = announcementText(a, s.env.name);
    if (s.ctx.notifier) s.ctx.notifier.send({ event: "announcement", env: s.env.name, app: s.env.app, text: msg.text, details: msg.details });
    else s.ctx.bus.warn("no notifications configured (notify:): the announcement is stored but sent to no one");
    const ahead = (start.getTime() - made.getTime()) / 3_600_000;
    if (ahead < s.env.announce.hours)
      s.ctx.bus.warn(
        `it starts ${ahead < 0 ? "in the past" : `in ${Math.round(ahead * 10) / 10} h`}: a deploy needing downtime needs ${s.env.announce.hours} h of notice, so this one will not let it through`,
      );
    if (parsed.opts.json) s.out.data(a);
    else s.out.text(`announced ${a.id}: ${formatLocal(start, tz)} for ${msg.details.duration} (${msg.details.startUtc}) on ${s.env.name}\n`);
    return [];
  });
}
