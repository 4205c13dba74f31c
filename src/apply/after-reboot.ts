/** after-reboot: walk the plan from planAfterReboot; a failed start still gets the health report. */
import type { Host } from "../config/resolve.js";
import type { AfterRebootPlan } from "../plan/after-reboot.js";
import type { ExecutorPool, RunContext } from "./context.js";
import { runHostsStage } from "./ops.js";
import { serviceStates } from "./services.js";
import { StageError } from "./stages.js";

export interface AfterRebootResult {
  /** [host, service, check output] of each service instance still unhealthy. */
  unhealthy: string[][];
  /** The failed hooks or starts (every failed host), or "". */
  failed: string;
}

export async function applyAfterReboot(ctx: RunContext, pool: ExecutorPool, hosts: Host[], plan: AfterRebootPlan): Promise<AfterRebootResult> {
  let failed = "";
  const unhealthy: string[][] = [];
  for (const stage of plan.stages) {
    if (stage.kind === "hosts") {
      // Keep going: the report below says which services the failure left down.
      await runHostsStage(ctx, pool, hosts, stage).catch((e) => {
        if (!(e instanceof StageError)) throw e;
        failed = e.message;
      });
    } else if (stage.kind === "report") {
      const states = await serviceStates(
        ctx,
        pool,
        hosts.filter((h) => stage.hosts.includes(h.name)),
        ctx.env.services,
      );
      unhealthy.push(...Object.entries(states).flatMap(([h, l]) => l.filter((x) => !x.ok).map((x) => [h, x.service, x.output])));
    }
  }
  return { unhealthy, failed };
}
