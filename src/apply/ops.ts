/** Walking an operations plan's host stages: the one runner for service, downtime, after-reboot and cleanup. */
import type { Host } from "../config/resolve.js";
import type { OpsStage } from "../plan/ops.js";
import type { ExecutorPool, RunContext } from "./context.js";
import { runScripts } from "./stages.js";

export type HostsStage = Extract<OpsStage, { kind: "hosts" }>;

/** The stage's hosts, in the stage's order. */
export const stageHosts = (hosts: Host[], names: string[]) => names.map((n) => hosts.find((h) => h.name === n)).filter((h): h is Host => Boolean(h));

/** Run one hosts stage (its scripts concurrently, StageError naming every failed host); returns its summary lines. */
export async function runHostsStage(ctx: RunContext, pool: ExecutorPool, hosts: Host[], stage: HostsStage): Promise<string[]> {
  await runScripts(ctx, pool, stageHosts(hosts, stage.hosts), stage.scripts, stage.label);
  return stage.done ?? [];
}
