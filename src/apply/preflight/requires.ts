/**
 * The `requires` gates (the runbook's "release dependencies"): another environment, or a
 * component, must already run a given commit. `commit: same` (the default) means exactly the
 * commit being deployed; a hex commit (or prefix) means that commit.
 */
import type { GateResult } from "../../plan/preflight.js";
import type { PreflightCheck } from "../preflight.js";
import { readOtherEnv } from "./other-env.js";

const label = (r: { env: string; component: string | null }) => (r.component ? `${r.env}/${r.component}` : r.env);
const gateName = (r: { env: string; component: string | null }) => `requires:${label(r)}`;

export function requiresResult(
  r: { env: string; component: string | null; commit: string },
  deploying: string,
  runs: { commit: string | null; release: string | null; primary: string },
): GateResult {
  const want = r.commit === "same" ? deploying : r.commit;
  const gate = gateName(r);
  const evidence = { env: r.env, component: r.component, primary: runs.primary, release: runs.release, runs: runs.commit, wants: want };
  const ok = runs.commit?.startsWith(want) === true;
  const what = r.commit === "same" ? `the commit being deployed (${want.slice(0, 12)})` : want.slice(0, 12);
  if (ok) return { gate, ok, line: `${label(r)} runs ${want.slice(0, 12)} (${runs.release}), as required`, evidence };
  return {
    gate,
    ok,
    line: `${label(r)} must run ${what} but its primary ${runs.primary} runs ${runs.commit ? `${runs.commit.slice(0, 12)} (${runs.release})` : "nothing"}`,
    evidence,
    hint: `deploy ${want.slice(0, 12)} to ${label(r)} first (slipway ${r.env} deploy${r.component ? ` ${r.component}` : ""} --ref ${want.slice(0, 12)})`,
  };
}

export const requiresCheck: PreflightCheck = {
  names: (ctx) => ctx.env.gates.requires.map(gateName),
  async run(ctx, _hosts, input, phase) {
    if (phase !== "start") return [];
    const out: GateResult[] = [];
    for (const r of ctx.env.gates.requires) {
      try {
        const o = await readOtherEnv(ctx, r.env, r.component);
        for (const p of o.problems) ctx.bus.warn(`${label(r)}: ${p}`);
        out.push(requiresResult(r, input.commit, o));
      } catch (e) {
        out.push({
          gate: gateName(r),
          ok: false,
          line: `cannot read what ${label(r)} runs: ${(e as Error).message.split("\n")[0]}`,
          hint: `check that ${label(r)} is reachable`,
        });
      }
    }
    return out;
  },
};
