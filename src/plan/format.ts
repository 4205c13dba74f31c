/** Human-readable plan: hosts × phases × commands. Pure, shared by `deploy --plan` and tests. */
import type { DeployPlan } from "./deploy.js";
import { PHASE_HELP } from "./phases.js";

export function formatPlan(plan: DeployPlan): string {
  const out: string[] = [];
  out.push(`plan: deploy ${plan.env} release ${plan.releaseId}`);
  out.push(`  commit ${plan.commit} (${plan.ref})`);
  out.push(`  hosts  ${plan.hosts.join(", ")} (primary ${plan.primary})`);
  out.push("");
  out.push(`check     on every host: ${PHASE_HELP.check}`);
  out.push(`lock      on ${plan.primary}: ${PHASE_HELP.lock}`);
  for (const stage of plan.stages) {
    if (stage.kind === "upload") {
      out.push(`fetch     on every host: upload the source directory into releases/${plan.releaseId}`);
    } else if (stage.kind === "local") {
      out.push(`${stage.phase.padEnd(9)} ${stage.when} hook, on this machine:`);
      for (const s of stage.script.sections) for (const c of s.commands) out.push(`            $ ${c.display}`);
    } else {
      out.push(`${stage.phases.join("+").padEnd(9)} on ${stage.hosts.join(", ")} (one round trip per host):`);
      for (const host of stage.hosts) {
        out.push(`  ${host}:`);
        for (const s of stage.scripts[host]?.sections ?? []) {
          for (const c of s.commands) out.push(`    ${s.phase.padEnd(8)} $ ${c.display}`);
        }
      }
    }
  }
  out.push(`unlock    on ${plan.primary}: ${PHASE_HELP.unlock}`);
  const rm = Object.entries(plan.removals).filter(([, ids]) => ids.length);
  if (rm.length) {
    out.push("");
    out.push("cleanup will remove:");
    for (const [h, ids] of rm) out.push(`  ${h}: ${ids.join(", ")}`);
  }
  return out.join("\n") + "\n";
}
