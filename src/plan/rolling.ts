/**
 * Rolling deploys as plan data: the switch+cleanup and restart+verify stages become one pair per
 * batch, with a wait between batches, so `--plan` shows the batches and the run walks them.
 */
import type { Stage } from "./stage.js";

type HostStage = Extract<Stage, { kind: "hosts" }>;

/** `--batch-size 2` or `--batch-size 25%` → consecutive batches of hosts. */
export function splitBatches<T>(items: T[], size: string): T[][] {
  const pct = /^(\d+)%$/.exec(size);
  const n = pct ? Math.max(1, Math.ceil((items.length * Number(pct[1])) / 100)) : Math.max(1, Number(size) || items.length);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
  return out;
}

/**
 * Replace a switch stage immediately followed by a restart stage with batches: each batch is
 * switched, then restarted and checked, before the next one starts. Without a restart stage
 * there is nothing to roll, and the switch stays all at once.
 */
export function rollStages(stages: Stage[], batchSize: string, waitMs = 0): Stage[] {
  const i = stages.findIndex((s) => s.kind === "hosts" && s.phases.includes("switch"));
  const sw = stages[i] as HostStage | undefined;
  const rs = stages[i + 1];
  if (!sw || rs?.kind !== "hosts" || !rs.phases.includes("restart")) return stages;
  const batches = splitBatches(sw.hosts, batchSize);
  const rolled: Stage[] = batches.flatMap((hosts, b): Stage[] => {
    const batch = { index: b + 1, of: batches.length };
    const restartHosts = hosts.filter((h) => rs.hosts.includes(h));
    return [
      { ...sw, hosts, batch },
      ...(restartHosts.length ? [{ ...rs, hosts: restartHosts, batch }] : []),
      ...(b < batches.length - 1 && waitMs > 0 ? [{ kind: "wait" as const, ms: waitMs }] : []),
    ];
  });
  return [...stages.slice(0, i), ...rolled, ...stages.slice(i + 2)];
}
