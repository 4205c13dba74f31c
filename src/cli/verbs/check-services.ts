/** `slipway <env> check-services`: every service in an unexpected state on every host; exit 1 if any. */
import { serviceStates } from "../../apply/services.js";
import { OperationError } from "../../errors.js";
import { table } from "../../render/table.js";
import type { Globals } from "../registry.js";
import { openSession, parseVerb, runOperation, verbCommand } from "../session.js";

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    "check-services",
    "List every service in an unexpected state on every host, with its health output; exit 1 if any.",
    "slipway production check-services",
  ).option("--limit <hosts>", "only these hosts, roles or globs");
  const parsed = parseVerb<{ limit?: string }>(cmd, args, globals);
  if (!parsed) return 0;
  const s = await openSession(parsed.opts, { verb: "check-services", limit: parsed.opts.limit, record: false, quiet: true });
  return runOperation(s, async () => {
    const pool = s.ctx.pool;
    const states = await serviceStates(s.ctx, pool, s.hosts, s.env.services);
    const bad = Object.entries(states).flatMap(([h, list]) => list.filter((x) => !x.ok).map((x) => [h, x.service, x.output]));
    const total = Object.values(states).reduce((n, l) => n + l.length, 0);
    if (parsed.opts.json) s.out.data({ ok: bad.length === 0, states });
    else if (!bad.length) s.out.text(`all ${total} service instance(s) healthy\n`);
    else s.out.text(table(["HOST", "SERVICE", "PROBLEM"], bad));
    if (bad.length) throw new OperationError(`${bad.length} of ${total} service instance(s) in an unexpected state`);
    return [];
  });
}
