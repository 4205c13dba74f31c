/** `slipway <env> announcements`: the downtime announcements stored on the primary. */
import { readAnnouncements } from "../../apply/records.js";
import { formatAnnouncements } from "../../plan/announce.js";
import type { Globals } from "../registry.js";
import { openSession, parseVerb, runOperation, verbCommand } from "../session.js";

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    "announcements",
    "List the downtime announcements (id, when made, start–end in the environment's timezone and UTC, the facts).",
    "slipway production announcements",
  );
  const parsed = parseVerb<Record<string, never>>(cmd, args, globals);
  if (!parsed) return 0;
  const s = await openSession(parsed.opts, { verb: "announcements", record: false, quiet: true });
  return runOperation(s, async () => {
    const list = await readAnnouncements(s.ctx);
    if (parsed.opts.json) s.out.data(list);
    else s.out.text(formatAnnouncements(list, s.env.announce.timezone));
    return [];
  });
}
