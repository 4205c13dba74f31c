/** `slipway <env> service <name|all> start|stop|restart|reload|status [--limit H] [--plan]` */
import { planData } from "../../plan/format.js";
import { applyServicePlan, pickServices, serviceStates } from "../../apply/services.js";
import type { ServiceAction } from "../../commands/services/backend.js";
import { OperationError, UsageError } from "../../errors.js";
import { formatOpsPlan } from "../../plan/format-ops.js";
import { planServiceAction } from "../../plan/services.js";
import { table } from "../../render/table.js";
import type { Globals } from "../registry.js";
import { openSession, parseVerb, runOperation, verbCommand } from "../session.js";

const ACTIONS = ["start", "stop", "restart", "reload", "status"];

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    "service",
    "Start, stop, restart, reload or show services on their hosts (start order; stop in reverse; starts wait for health).",
    "slipway production service web restart --limit web1",
  )
    .argument("<name>", "a service from `services:`, or all")
    .argument("<action>", ACTIONS.join(" | "))
    .option("--plan", "only print the commands each host would run; change nothing")
    .option("--limit <hosts>", "only these hosts, roles or globs");
  const parsed = parseVerb<{ limit?: string; plan?: boolean }>(cmd, args, globals);
  if (!parsed) return 0;
  const [name, action] = parsed.args as [string, string];
  const { opts } = parsed;
  if (!ACTIONS.includes(action)) throw new UsageError(`service: expected ${ACTIONS.join(", ")}, got ${JSON.stringify(action)}`);
  if (opts.plan && action === "status") throw new UsageError("service status changes nothing: --plan is for start, stop, restart and reload");
  const readOnly = action === "status" || Boolean(opts.plan);
  const s = await openSession(opts, { verb: opts.plan ? "plan" : `service ${action}`, limit: opts.limit, record: !readOnly, quiet: readOnly });
  const services = pickServices(s.env, name);
  return runOperation(s, async () => {
    const pool = s.ctx.pool;
    if (action === "status") {
      const states = await serviceStates(s.ctx, pool, s.hosts, services);
      const rows = Object.entries(states).flatMap(([h, list]) => list.map((x) => [h, x.service, x.ok ? "ok" : "DOWN", x.output]));
      if (opts.json) s.out.data(states);
      else s.out.text(table(["HOST", "SERVICE", "STATE", "CHECK"], rows));
      return [];
    }
    const plan = planServiceAction(s.env, s.hosts, services, action as ServiceAction);
    if ("refuse" in plan) throw new OperationError(plan.refuse);
    if (opts.plan) {
      // Scripts carry `env` with secret values: printed only through the redactor.
      if (opts.json) s.out.data(planData(plan));
      else s.out.text(formatOpsPlan(plan));
      return [];
    }
    return await applyServicePlan(s.ctx, pool, s.hosts, plan);
  });
}
