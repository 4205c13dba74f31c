/**
 * Gate `hand-edits`: the current release on every host still matches the file digest written when
 * it was built. A deploy (or rollback) would silently discard a file edited in place on a host.
 */
import { pathsFor } from "../../config/paths.js";
import type { Host } from "../../config/resolve.js";
import { readDigests } from "../../commands/release.js";
import { capture } from "../../exec/runner.js";
import { digestSkip } from "../../plan/deploy.js";
import { compareDigests, editLines, type HandEdits } from "../../plan/handedits-input.js";
import type { GateResult } from "../../plan/preflight.js";
import type { HostState } from "../../plan/state.js";
import type { RunContext } from "../context.js";
import { READS } from "./reads.js";
import type { PreflightCheck } from "../preflight.js";

/**
 * Every host's current release against its digest (in parallel; one command per host), or from the
 * state round trip when it carried the read (apply/preflight/reads.ts).
 */
export async function readHandEdits(ctx: RunContext, hosts: Host[], states?: Record<string, HostState>): Promise<Record<string, HandEdits>> {
  const skip = digestSkip(ctx.env);
  const rows = await Promise.all(
    hosts.map(async (h) => {
      const read = states?.[h.name]?.extras?.[READS.handEdits];
      if (read !== undefined) return [h.name, compareDigests(read)] as const;
      const ex = await ctx.pool.get(h);
      const out = await capture(
        ex,
        "check",
        readDigests(pathsFor(h.deployTo), skip),
        "compare the current release with its digest",
        ctx.signal,
        ctx.env.timeouts.check,
      );
      return [h.name, compareDigests(out)] as const;
    }),
  );
  for (const [h, e] of rows) for (const p of e.problems) ctx.bus.warn(p, h);
  return Object.fromEntries(rows);
}

/** Edits a deploy or rollback would discard: changed or removed files (added files are listed, not counted: apps write some). */
export const blockingEdits = (e: HandEdits) => e.changed.length + e.removed.length;

/** The gate's result from what readHandEdits found. */
export function handEditsGate(env: string, edits: Record<string, HandEdits>): GateResult {
  const bad = Object.entries(edits).filter(([, e]) => blockingEdits(e) > 0);
  const added = Object.entries(edits).filter(([, e]) => e.added.length > 0);
  const compared = Object.values(edits).filter((e) => e.state === "compared").length;
  const evidence = Object.fromEntries(
    Object.entries(edits).map(([h, e]) => [
      h,
      { state: e.state, changed: e.changed.slice(0, 20), removed: e.removed.slice(0, 20), added: e.added.slice(0, 20) },
    ]),
  );
  if (!bad.length) {
    const extra = added.length
      ? `; files added since the build (not blocking): ${added.map(([h, e]) => `${h}: ${e.added.slice(0, 5).join(", ")}`).join("; ")}`
      : "";
    return {
      gate: "hand-edits",
      ok: true,
      line: `the current release matches its build digest on ${compared} of ${Object.keys(edits).length} host(s)${extra}`,
      evidence,
    };
  }
  const list = bad.map(([h, e]) => `${h}: ${editLines({ ...e, added: [] }, 5).join(", ")}`).join("; ");
  return {
    gate: "hand-edits",
    ok: false,
    line: `files in the current release were edited on the host since it was built (a deploy discards them): ${list}`,
    evidence,
    hint: `see them with \`slipway ${env} verify-release\`; commit the change to the repository and deploy that, or pass --override hand-edits -m "why" to discard them`,
  };
}

export const handEditsCheck: PreflightCheck = {
  names: () => ["hand-edits"],
  async run(ctx, hosts, input, phase) {
    if (phase !== "start" || input.verb !== "deploy") return [];
    const edits = await readHandEdits(ctx, hosts, input.states);
    // Nothing to compare (a first deploy, releases built before digests): no result, so no noise in the evidence.
    if (!Object.values(edits).some((e) => e.state === "compared")) return [];
    return [handEditsGate(ctx.env.name, edits)];
  },
};
