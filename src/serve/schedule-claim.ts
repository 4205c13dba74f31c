/**
 * Why a claim on the host, and not only the lock: a deploy's lock keeps two deploys from
 * overlapping, but a second server that reaches the slot after the first server's deploy has
 * finished (its clock a little behind, its start slower) would find the lock free and deploy the
 * same slot again. So before deploying, each server `mkdir`s the slot's directory on the
 * environment's primary (`.slipway/schedule/<name>/<slot>`, commands/schedule.ts): mkdir is atomic,
 * exactly one server wins, and the loser reports the slot as skipped whenever it arrives. The primary
 * is the place every server of the environment can reach and already agrees on (the lock lives
 * there too); the claim is kept for a week, far longer than a slot can still be fired.
 */
import os from "node:os";
import { executorFactory } from "../exec/factory.js";
import { pathsFor } from "../config/paths.js";
import type { Environment } from "../config/resolve.js";
import type { ScheduleSpec } from "../config/schema/index.js";
import { claimSlot } from "../commands/schedule.js";
import { capture } from "../exec/runner.js";
import { slotId } from "../plan/schedule.js";
import { VERSION } from "../version.js";
import type { ClaimResult, ClaimSlot } from "./scheduler.js";

/** Who claimed a slot, as the loser reports it; anything else in the file is ignored (host data is input). */
function claimant(out: string): string {
  try {
    const j = JSON.parse(out.split("\n").slice(1).join("\n").trim() || "{}") as Record<string, unknown>;
    const s = typeof j.server === "string" ? j.server.replace(/[^\w .:@()-]/g, "_").slice(0, 120) : null;
    const at = typeof j.at === "string" && /^[\dTZ:.-]{10,30}$/.test(j.at) ? j.at : null;
    return s ? `${s}${at ? ` at ${at}` : ""}` : "another server";
  } catch {
    return "another server";
  }
}

/** The production claim: one round trip to the environment's primary, bounded by `timeouts.check`. */
export function hostClaim(environments: ReadonlyMap<string, { env: Environment; redact: (t: string) => string }>): ClaimSlot {
  return async (s: ScheduleSpec, slot: Date): Promise<ClaimResult> => {
    const { env, redact } = environments.get(s.env)!;
    const info = { server: `slipway serve pid ${process.pid} on ${os.hostname()}`, at: new Date().toISOString(), slot: slot.toISOString(), version: VERSION };
    let ex: Awaited<ReturnType<ReturnType<typeof executorFactory>>> | null = null;
    try {
      ex = await executorFactory(env)(env.primary);
      const out = await capture(
        ex,
        "schedule",
        claimSlot(pathsFor(env.primary.deployTo), s.name, slotId(slot), info),
        "claim schedule slot",
        undefined,
        env.timeouts.check,
      );
      if (out.startsWith("CLAIMED")) return { ok: true };
      if (out.startsWith("TAKEN")) return { ok: false, taken: true, detail: `slot already claimed on ${env.primary.name} by ${claimant(out)}` };
      return { ok: false, taken: false, detail: `cannot claim the slot on ${env.primary.name}: ${redact(out.trim().slice(0, 300)) || "no answer"}` };
    } catch (e) {
      return { ok: false, taken: false, detail: `cannot claim the slot on ${env.primary.name}: ${redact((e as Error).message)}` };
    } finally {
      await ex?.close();
    }
  };
}
