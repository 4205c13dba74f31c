/**
 * Cutover as plan data: for each host and each cutover service, the slot serving now (from the host's
 * record) and the idle slot the next release starts on; and the sections a deploy or rollback runs for
 * them (start + health before the switch, upstream switch with the switch, drain + stop after), with
 * their recovery (back to the old slot, then stop what was started).
 */
import { pathsFor } from "../config/paths.js";
import type { Environment, Host } from "../config/resolve.js";
import type { ServiceContext } from "../commands/services/backend.js";
import { hasCutover, retireInPlaceProgram, retireSlot, startSlot, switchUpstream, type CutoverService } from "../commands/services/cutover.js";
import type { Section } from "../commands/script.js";
import { hostServices, serviceContext } from "./sections.js";
import type { CutoverSlot, HostState } from "./state.js";

/** One service's move on one host: from the slot nginx points at (null: none yet) to an idle one. */
export interface SlotMove {
  svc: CutoverService;
  c: ServiceContext;
  from: CutoverSlot | null;
  to: number;
}

/** The moves on a host; a recorded slot whose port is no longer configured counts as none. */
export function slotMoves(env: Environment, h: Host, state: HostState | undefined): SlotMove[] {
  const c = serviceContext(env, h);
  return hostServices(env, h)
    .filter(hasCutover)
    .map((svc) => {
      const rec = state?.cutover?.[svc.name];
      const from = rec && svc.cutover.ports.includes(rec.port) ? rec : null;
      return { svc, c, from, to: svc.cutover.ports.find((p) => p !== from?.port)! };
    });
}

/** The sections of a move to `release` on one host, by phase, and what recovery runs for it. */
export interface CutoverSections {
  start: Section[];
  /** Runs before `current` moves, in the switch round trip. */
  switch: Section[];
  /** Drain and stop the old slots (restart phase). */
  retire: Section[];
  /** Recovery on a host that may have switched: the old slots serve again. */
  back: Section[];
  /** Recovery on every host, last: stop the slots that run the failed release. */
  stopNew: Section[];
}

const section = (phase: string, commands: Section["commands"], timeoutMs: number, cwd?: string): Section[] =>
  commands.length ? [{ phase, commands, timeoutMs, ...(cwd ? { cwd } : {}) }] : [];

export function cutoverSections(env: Environment, h: Host, moves: SlotMove[], release: string): CutoverSections {
  const p = pathsFor(h.deployTo);
  const t = env.timeouts;
  // The upstream switch waits for nginx's new workers (up to 10 s): more than the bare switch's limit.
  const switchMs = Math.max(t.switch, 15_000);
  const retireMs = Math.max(t.restart, ...moves.map((m) => (m.svc.cutover.drainSeconds + 30) * 1000));
  return {
    start: section(
      "start",
      moves.flatMap((m) => startSlot(m.svc, m.c, m.to, p.release(release), release)),
      t.start,
      p.release(release),
    ),
    switch: section(
      "switch",
      moves.map((m) => switchUpstream(m.svc, m.c, m.to, release)),
      switchMs,
    ),
    retire: section(
      "restart",
      moves.flatMap((m) => (m.from ? (m.svc.cutover.keepPrevious ? [] : [retireSlot(m.svc, m.c, m.from.port)]) : [retireInPlaceProgram(m.svc, m.c)])),
      retireMs,
    ),
    back: section(
      "switch",
      moves.flatMap((m) =>
        m.from
          ? [...startSlot(m.svc, m.c, m.from.port, p.release(m.from.release), m.from.release), switchUpstream(m.svc, m.c, m.from.port, m.from.release, true)]
          : [],
      ),
      t.start + switchMs,
    ),
    stopNew: section(
      "cleanup",
      moves.map((m) => retireSlot(m.svc, m.c, m.to, release)),
      retireMs,
    ),
  };
}
