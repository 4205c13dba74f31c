/** `slipway <env> status [component]`: one screen of what runs where, the lock, a deploy in flight, service health and pending commits. */
import { readStatus } from "../../apply/status.js";
import { OperationError } from "../../errors.js";
import { formatStatus } from "../../plan/status.js";
import type { Globals } from "../registry.js";
import { openSession, parseVerb, runOperation, verbCommand } from "../session.js";

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    "status",
    "One screen per environment: current release, hosts that disagree, the lock, a deploy in progress or interrupted, service health per role, pending commits. Exit 1 if hosts disagree or a service is unhealthy.",
    "slipway production status   # or: status formplayer, status --json",
  ).argument("[component]", "a component (default: the app)");
  const parsed = parseVerb(cmd, args, globals);
  if (!parsed) return 0;
  // Read-only: no lock, no store record, no log file.
  const s = await openSession(parsed.opts, { verb: "status", record: false, quiet: true, component: parsed.args[0] ?? null });
  return runOperation(s, async () => {
    const report = await readStatus(s.ctx);
    if (parsed.opts.json) s.out.data(report);
    else s.out.text(formatStatus(report));
    // Monitoring calls this: a disagreement or an unhealthy service is exit 1, named on stderr.
    if (!report.ok) throw new OperationError(report.failures.join("\n"));
    return [];
  });
}
