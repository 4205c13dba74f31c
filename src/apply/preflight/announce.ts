/** Gate `announcement` (where `announce:` is configured): a deploy that needs downtime needs an announcement made `announce.hours` before that covers now. */
import { now } from "../../config/clock.js";
import { announcementGate } from "../../plan/announce.js";
import type { PreflightCheck } from "../preflight.js";
import { readAnnouncements } from "../records.js";

export const announceCheck: PreflightCheck = {
  names: (ctx) => (ctx.env.announce.gate ? ["announcement"] : []),
  async run(ctx, _hosts, input, phase) {
    const a = ctx.env.announce;
    if (!a.gate || !input.needsDowntime || phase !== "start") return [];
    return [announcementGate(await readAnnouncements(ctx), now(), a.hours, ctx.env.name, a.timezone)];
  },
};
