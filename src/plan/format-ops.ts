/** `--plan` text for the operations verbs (service, downtime, after-reboot): each stage, each host's commands. */
import type { ConfigPushPlan } from "./configpush.js";
import { PHASE_HELP } from "./phases.js";
import { hostView, stageCommands, type HostView } from "./format.js";
import { groupedCommands, hostRange, hostsWithCount } from "./format-hosts.js";
import type { OpsPlan, OpsStage } from "./ops.js";

export function formatOpsPlan(plan: OpsPlan): string {
  const what = [plan.verb, plan.action].filter(Boolean).join(" ");
  const { view, header } = hostView(plan.hosts, plan.deployTo);
  const out = [`plan: ${what} ${plan.env}`, `  hosts  ${plan.hosts.length ? hostsWithCount(plan.hosts) : "(none)"}`, ...header, ""];
  if (plan.lock) out.push(`lock      on ${plan.lock}: ${PHASE_HELP.lock}`);
  for (const stage of plan.stages) out.push(...stageLines(stage, view));
  if (plan.lock) out.push(`unlock    on ${plan.lock}: release the environment lock`);
  return out.join("\n") + "\n";
}

function stageLines(stage: OpsStage, view: HostView): string[] {
  const on = hostRange(stage.hosts) || "(no host)";
  if (stage.kind === "stragglers") {
    const then = {
      kill: "terminate those still running (TERM, then KILL)",
      ask: `ask: wait ${stage.retryS}s more, terminate them, or leave them`,
      fail: "stop with their list (the page stays up)",
    }[stage.onLeft];
    return [`stragglers on ${on}: wait up to ${stage.waitS}s for the stopped services' processes to exit, then ${then}`];
  }
  if (stage.kind === "report") return [`report    on ${on}: probe every service; list those still unhealthy (exit 1 if any)`];
  return [`${stage.label} on ${on} (one round trip per host):`, ...stageCommands(stage.hosts, (h) => stage.scripts[h], view)];
}

/** `update-config --plan` as data: the diffs and each host's commands by description (never their text, which holds the files). */
export function configPushView(plan: ConfigPushPlan) {
  return {
    verb: plan.verb,
    diffs: plan.diffs,
    changedHosts: plan.changedHosts,
    hosts: Object.fromEntries(Object.entries(plan.scripts).map(([h, sc]) => [h, sc.sections.flatMap((x) => x.commands.map((c) => c.display))])),
  };
}

/** `update-config --plan` as text: the diffs, then what each host would run. */
export function formatConfigPushPlan(plan: ConfigPushPlan): string {
  const view = configPushView(plan);
  const out = [`plan: update-config (${plan.changedHosts.length ? `changes on ${plan.changedHosts.join(", ")}` : "no file changes"})`, ""];
  if (plan.diffs.length)
    out.push(
      plan.diffs
        .map((d) => d.diff)
        .join("")
        .trimEnd(),
      "",
    );
  out.push("push (one round trip per host):", ...groupedCommands(Object.keys(view.hosts), (h) => view.hosts[h]!.map((c) => `$ ${c}`)));
  return out.join("\n") + "\n";
}
