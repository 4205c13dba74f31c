/**
 * A scheduled deploy's slot claim on the environment's primary: an atomic `mkdir` of the slot's
 * directory, so of several `slipway serve` processes (on one machine or several) exactly one wins
 * each slot, whenever each of them gets there — before, during or after the winner's deploy.
 */
import type { Paths } from "../config/paths.js";
import { shPath, shq } from "./quote.js";

/** Claims older than this are removed by the next claim: a slot is only ever fired within minutes of its time. */
export const CLAIM_KEEP_DAYS = 7;

/** Prints CLAIMED, or TAKEN followed by the winner's claim.json. Old claims of this schedule are pruned in the same round trip. */
export function claimSlot(p: Paths, name: string, slot: string, info: object): string {
  const dir = shPath(p.scheduleDir(name));
  const d = shPath(p.scheduleSlot(name, slot));
  return (
    `mkdir -p ${dir} && if mkdir ${d} 2>/dev/null; then printf '%s\\n' ${shq(JSON.stringify(info))} > ${d}/claim.json && echo CLAIMED; ` +
    // The winner writes claim.json just after its mkdir: a loser arriving in between waits for it (up to ~1 s) to name the winner.
    `else echo TAKEN; for i in 1 2 3 4 5 6 7 8 9 10; do test -s ${d}/claim.json && break; sleep 0.1; done; cat ${d}/claim.json 2>/dev/null; fi; ` +
    `find ${dir} -mindepth 1 -maxdepth 1 -type d -mtime +${CLAIM_KEEP_DAYS} -exec rm -rf {} + 2>/dev/null; true`
  );
}
