/** `slipway <env> service <name|all> start|stop|restart|reload|status [--limit H]` */
import { pickServices, runServiceAction, serviceStates } from "../../apply/services.js";
import type { ServiceAction } from "../../commands/services/backend.js";
import { UsageError } from "../../errors.js";
import { table } from "../../render/table.js";
import type { Globals } from "../registry.js";
import { openSession, parseVerb, runOperation, verbCommand } from "../session.js";

const ACTIONS = ["start", "stop", "restart", "reload", "status"];

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand("service", "Start, stop, restart, reload or show services on their hosts (start order; stop in reverse; starts wait for health).", "slipway production service web restart --limit web1")
    .argument("<name>", "a service from `services:`, or all")
    .argument("<action>", ACTIONS.join(" | "))
    .option("--limit <hosts>", "only these hosts, roles or globs");
  const parsed = parseVerb<{ limit?: string }>(cmd, args, globals);
  if (!parsed) return 0;
  const [name, action] = parsed.args as [string, string];
  if (!ACTIONS.includes(action)) throw new UsageError(`service: expected ${ACTIONS.join(", ")}, got ${JSON.stringify(action)}`);
  const s = await openSession(parsed.opts, { verb: `service ${action}`, limit: parsed.opts.limit, record: action !== "status", quiet: action === "status" });
  const services = pickServices(s.env, name);
  return runOperation(s, async () => {
    const pool = s.ctx.pool;
    if (action === "status") {
      const states = await serviceStates(s.ctx, pool, s.hosts, services);
      const rows = Object.entries(states).flatMap(([h, list]) => list.map((x) => [h, x.service, x.ok ? "ok" : "DOWN", x.output]));
      if (parsed.opts.json) s.out.data(states);
      else s.out.text(table(["HOST", "SERVICE", "STATE", "CHECK"], rows));
      return [];
    }
    return await runServiceAction(s.ctx, pool, s.hosts, services, action as ServiceAction);
  });
}
