/**
 * `slipway <env> after-reboot [--limit H] [--plan]`: bring rebooted hosts back: the reboot hooks
 * first (`after_reboot:`), then every service in start order with health checks, then a report of
 * what is still unhealthy (exit 1 if anything is).
 */
import { planData } from "../../plan/format.js";
import { applyAfterReboot } from "../../apply/after-reboot.js";
import { OperationError } from "../../errors.js";
import { planAfterReboot } from "../../plan/after-reboot.js";
import { formatOpsPlan } from "../../plan/format-ops.js";
import { table } from "../../render/table.js";
import type { Globals } from "../registry.js";
import { openSession, parseVerb, runOperation, verbCommand } from "../session.js";

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmdDef = verbCommand(
    "after-reboot",
    "Bring rebooted hosts back: reboot hooks, then services in order with health checks; report what is still unhealthy.",
    "slipway production after-reboot --limit web2",
  )
    .option("--plan", "only print the hooks and starts each host would run; change nothing")
    .option("--limit <hosts>", "only these hosts, roles or globs");
  const parsed = parseVerb<{ limit?: string; plan?: boolean }>(cmdDef, args, globals);
  if (!parsed) return 0;
  const { opts } = parsed;
  const s = await openSession(opts, { verb: opts.plan ? "plan" : "after-reboot", limit: opts.limit, record: !opts.plan, quiet: opts.plan });
  return runOperation(s, async () => {
    const plan = planAfterReboot(s.env, s.hosts);
    if (opts.plan) {
      // Scripts carry `env` with secret values: printed only through the redactor.
      if (opts.json) s.out.data(planData(plan));
      else s.out.text(formatOpsPlan(plan));
      return [];
    }
    const { unhealthy, failed } = await applyAfterReboot(s.ctx, s.ctx.pool, s.hosts, plan);
    if (unhealthy.length) {
      s.out.text(table(["HOST", "SERVICE", "STILL UNHEALTHY"], unhealthy));
      throw new OperationError(`${unhealthy.length} service instance(s) still unhealthy after the reboot procedure${failed ? `\n${failed}` : ""}`);
    }
    if (failed) throw new OperationError(failed);
    return [`${s.hosts.map((h) => h.name).join(", ")}: reboot hooks run, every service started and healthy`];
  });
}
