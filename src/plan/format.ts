/** Human-readable plan: hosts × phases × commands. Pure, shared by `deploy --plan` and tests. */
import type { HostScript } from "../commands/script.js";
import type { DeployPlan, Stage } from "./deploy.js";
import type { DbDeployPlan } from "./deploy-db.js";
import { gateLines } from "./preflight.js";
import { recoveryScript } from "./recovery.js";
import type { RollbackPlan } from "./rollback.js";
import { PHASE_HELP } from "./phases.js";
import { abstractRoots, commandLines, groupedCommands, hostRange, hostsWithCount, relativeTo, rootsLines } from "./format-hosts.js";

/** How a plan's host blocks are written: with each host's deploy_to as $DEPLOY_TO when the roots differ. */
export interface HostView {
  roots?: Record<string, string>;
  relative: boolean;
}

/** The view for a plan over `hosts` with these deploy_to roots, and its header line naming them (if abstracted). */
export function hostView(hosts: string[], roots: Record<string, string> | undefined): { view: HostView; header: string[] } {
  const relative = abstractRoots(hosts, roots);
  return { view: { roots, relative }, header: relative && roots ? rootsLines(hosts, roots) : [] };
}

/** `deploy --plan`: every stage in order, hosts with the same commands grouped (see format-hosts.ts). */
export function formatPlan(plan: DeployPlan): string {
  const { view, header } = hostView(plan.hosts, plan.deployTo);
  const out: string[] = [];
  out.push(`plan: deploy ${plan.env} release ${plan.releaseId}`);
  out.push(`  commit ${plan.commit} (${plan.ref})`);
  out.push(`  hosts  ${hostsWithCount(plan.hosts)}, primary ${plan.primary}`);
  out.push(...header, "");
  if (plan.gates?.length) out.push("gates:", ...gateLines(plan.gates).map((l) => `  ${l}`), "");
  if (plan.db) out.push(...dbLines(plan.db), "");
  out.push(`check     on every host: ${PHASE_HELP.check}`);
  out.push(`lock      on ${plan.primary}: ${PHASE_HELP.lock}`);
  for (const stage of plan.stages) {
    if (stage.kind === "local") {
      out.push(`${stage.phase.padEnd(9)} ${stage.when} hook, on this machine:`);
      for (const s of stage.script.sections) for (const c of s.commands) out.push(`            $ ${c.display}`);
    } else if (stage.kind === "gate") {
      out.push(`presteps  required pre-steps must be done for ${plan.commit.slice(0, 12)} (started and waited for if not)`);
    } else if (stage.kind === "wait") {
      out.push(`wait      ${stage.ms / 1000} s before the next batch`);
    } else if (stage.kind === "preflight") {
      out.push("gates     checked again right before the switch (a failure stops the deploy before any host switches)");
    } else if (stage.kind === "db" || stage.kind === "downtime") {
      out.push(dbStageLine(plan, stage));
    } else {
      out.push(...hostStage(stage, view));
    }
  }
  out.push(`unlock    on ${plan.primary}: ${PHASE_HELP.unlock}`);
  const rm = Object.entries(plan.removals).filter(([, ids]) => ids.length);
  if (rm.length) {
    out.push("");
    out.push("cleanup will remove:");
    out.push(...groupedRemovals(rm));
  }
  return out.join("\n") + "\n";
}

/** The databases: downtime class and why, then each database's pending alters. */
function dbLines(db: DbDeployPlan): string[] {
  const d = db.downtime;
  const how = {
    none: "",
    "page-up": " (the maintenance page is already up)",
    "bring-up": " (--downtime: the page goes up before the database steps, down after the health checks)",
  }[d.action];
  const out = [`downtime  ${d.class}${how}`, ...d.reasons.map((r) => `            - ${r}`)];
  for (const x of db.dbs) {
    out.push(`database  ${x.key} (${x.engine} on ${x.host}): ${x.pending.length ? `${x.pending.length} pending alter(s)` : "no pending alters"}`);
    out.push(
      ...x.altersText
        .split("\n")
        .filter(Boolean)
        .map((l) => `            ${l}`),
    );
  }
  return out;
}

function dbStageLine(plan: DeployPlan, stage: Extract<Stage, { kind: "db" } | { kind: "downtime" }>): string {
  if (stage.kind === "downtime")
    return stage.action === "start"
      ? "downtime  maintenance page up, services stopped (downtime start)"
      : "downtime  maintenance page down (services were restarted on the new release)";
  const host = plan.db?.dbs.find((d) => d.key === ("db" in stage ? stage.db : ""))?.host ?? "";
  if (stage.action === "backup")
    return `backup    ${stage.db} on ${host}: consistent dump (${stage.reason}); a failure stops the deploy, nothing migrated or switched`;
  if (stage.action === "alters") return `alters    ${stage.db} on ${host}: apply ${stage.files.join(", ")}`;
  return `record    on ${hostRange(stage.hosts)}: each database's schema state and backup ids into the release (db.json, manifest)`;
}

/** One stage run on hosts: its phases, then the hosts' commands, grouped. */
function hostStage(stage: Extract<Stage, { kind: "hosts" }>, view: HostView): string[] {
  const batch = stage.batch ? `batch ${stage.batch.index}/${stage.batch.of}, ` : "";
  return [
    `${stage.phases.join("+").padEnd(9)} on ${hostRange(stage.hosts)} (${batch}one round trip per host):`,
    ...stageCommands(stage.hosts, (h) => stage.scripts[h], view),
  ];
}

/** The commands of `hosts` (each host's script from `scriptOf`), grouped where they are the same. */
export function stageCommands(hosts: string[], scriptOf: (host: string) => HostScript | undefined, view: HostView): string[] {
  return groupedCommands(hosts, (h) => {
    const lines = commandLines(scriptOf(h));
    return view.relative ? lines.map((l) => relativeTo(l, view.roots?.[h])) : lines;
  });
}

/** One host's commands in a stage, each under its phase. */
export function hostCommands(host: string, script: HostScript | undefined): string[] {
  return [`  ${host}:`, ...commandLines(script).map((l) => `    ${l}`)];
}

/** `cleanup will remove:` with hosts removing the same releases on one line. */
function groupedRemovals(rm: [string, string[]][]): string[] {
  const by = new Map<string, string[]>();
  for (const [h, ids] of rm) by.set(ids.join(", "), [...(by.get(ids.join(", ")) ?? []), h]);
  return [...by].map(([ids, hs]) => `  ${hs.length > 1 ? hostsWithCount(hs) : hs[0]}: ${ids}`);
}

/** `rollback --plan`: the target, what is marked bad, each stage, and what a failure would undo. */
export function formatRollbackPlan(plan: RollbackPlan): string {
  const { view, header } = hostView(plan.hosts, plan.deployTo);
  const out = [
    `plan: rollback ${plan.env} to ${plan.target} (commit ${plan.toCommit})`,
    `  from   ${plan.from}${plan.fromCommit ? ` (commit ${plan.fromCommit})` : ""}, marked bad`,
    `  hosts  ${hostsWithCount(plan.hosts)}, primary ${plan.primary}`,
    ...header,
    "",
    `check     on every host: ${PHASE_HELP.check}`,
    `lock      on ${plan.primary}: ${PHASE_HELP.lock}`,
    ...plan.stages.flatMap((st) => hostStage(st, view)),
    `unlock    on ${plan.primary}: ${PHASE_HELP.unlock}`,
  ];
  const undo = Object.entries(plan.recovery).filter(([, r]) => r.ifSwitched.length);
  if (undo.length) {
    const scripts = Object.fromEntries(undo.map(([h, r]) => [h, recoveryScript(r, true, true)]));
    out.push("", "if a step fails, switched hosts go back:", ...stageCommands(Object.keys(scripts), (h) => scripts[h], view));
  }
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
