/** Human-readable plan: hosts × phases × commands. Pure, shared by `deploy --plan` and tests. */
import type { HostScript } from "../commands/script.js";
import type { DeployPlan, Stage } from "./deploy.js";
import { recoveryScript } from "./recovery.js";
import type { RollbackPlan } from "./rollback.js";
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
    } else if (stage.kind === "gate") {
      out.push(`presteps  required pre-steps must be done for ${plan.commit.slice(0, 12)} (started and waited for if not)`);
    } else if (stage.kind === "wait") {
      out.push(`wait      ${stage.ms / 1000} s before the next batch`);
    } else {
      out.push(...hostStage(stage));
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

/** One stage run on hosts: its phases, then each host's commands in order. */
function hostStage(stage: Extract<Stage, { kind: "hosts" }>): string[] {
  const batch = stage.batch ? `batch ${stage.batch.index}/${stage.batch.of}, ` : "";
  return [
    `${stage.phases.join("+").padEnd(9)} on ${stage.hosts.join(", ")} (${batch}one round trip per host):`,
    ...stage.hosts.flatMap((h) => hostCommands(h, stage.scripts[h])),
  ];
}

/** One host's commands in a stage, each under its phase. */
export function hostCommands(host: string, script: HostScript | undefined): string[] {
  return [`  ${host}:`, ...(script?.sections ?? []).flatMap((s) => s.commands.map((c) => `    ${s.phase.padEnd(8)} $ ${c.display}`))];
}

/** `rollback --plan`: the target, what is marked bad, each stage, and what a failure would undo. */
export function formatRollbackPlan(plan: RollbackPlan): string {
  const out = [
    `plan: rollback ${plan.env} to ${plan.target} (commit ${plan.toCommit})`,
    `  from   ${plan.from}${plan.fromCommit ? ` (commit ${plan.fromCommit})` : ""}, marked bad`,
    `  hosts  ${plan.hosts.join(", ")} (primary ${plan.primary})`,
    "",
    `check     on every host: ${PHASE_HELP.check}`,
    `lock      on ${plan.primary}: ${PHASE_HELP.lock}`,
    ...plan.stages.flatMap(hostStage),
    `unlock    on ${plan.primary}: ${PHASE_HELP.unlock}`,
  ];
  const undo = Object.entries(plan.recovery).filter(([, r]) => r.ifSwitched.length);
  if (undo.length) out.push("", "if a step fails, switched hosts go back:", ...undo.flatMap(([h, r]) => hostCommands(h, recoveryScript(r, true, true))));
  return out.join("\n") + "\n";
}

/**
 * A plan as `--json` data: every command by its description only. The shell text is left out
 * because it can hold secrets in quoted or escaped form (a service's env file, a pushed file),
 * which no value-by-value redaction would recognise.
 */
export function planData<T>(plan: T): T {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      if (typeof o.sh === "string" && typeof o.display === "string") return { display: o.display };
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return walk(plan) as T;
}
