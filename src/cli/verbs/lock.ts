/** `slipway <env> lock status | acquire -m "reason" | release` */
import { acquire, describeHolder, newLockInfo, release, status } from "../../apply/lock.js";
import { UsageError } from "../../errors.js";
import { parseDuration } from "../duration.js";
import type { Globals } from "../registry.js";
import { openSession, parseVerb, runOperation, verbCommand } from "../session.js";

interface Opts {
  message?: string;
  lockWait: string;
}

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    "lock",
    "Show, take or release the environment lock (held on the primary host).",
    'slipway production lock acquire -m "database maintenance until 14:00"',
  )
    .argument("<action>", "status | acquire | release")
    .argument("[component]", "a component's lock (default: the app's)")
    .option("-m, --message <reason>", "why (required for acquire)")
    .option("--lock-wait <duration>", "acquire: wait this long for a held lock", "0");
  const parsed = parseVerb<Opts>(cmd, args, globals);
  if (!parsed) return 0;
  const action = parsed.args[0];
  if (!["status", "acquire", "release"].includes(action ?? ""))
    throw new UsageError(`lock: expected status, acquire or release, got ${JSON.stringify(action)}`);
  if (action === "acquire" && !parsed.opts.message) throw new UsageError('lock acquire needs -m "reason"');
  const s = await openSession(parsed.opts, { verb: `lock ${action}`, record: action !== "status", quiet: true, component: parsed.args[1] ?? null });
  const comp = s.env.component ? ` ${s.env.component}` : "";
  const where = `${s.env.name}${comp} (on ${s.env.primary.name})`;
  return runOperation(s, async () => {
    const pool = s.ctx.pool;
    if (action === "status") {
      const info = await status(s.ctx, pool);
      if (parsed.opts.json) s.out.data({ locked: Boolean(info), ...(info ?? {}) });
      else s.out.text(info ? `${where} is locked: ${describeHolder(info, s.env.name, s.env.component)}\n` : `${where} is not locked\n`);
    } else if (action === "acquire") {
      const info = newLockInfo(s.ctx, "lock acquire", parsed.opts.message!, true);
      await acquire(s.ctx, pool, info, parseDuration(parsed.opts.lockWait, "--lock-wait"));
      s.out.text(`${where} locked: "${info.reason}". Release with: slipway ${s.env.name} lock release${comp}\n`);
    } else {
      const info = await status(s.ctx, pool);
      const out = await release(s.ctx, pool, null);
      s.out.text(
        out.endsWith("RELEASED")
          ? `${where} lock released${info ? ` (was ${describeHolder(info, s.env.name, s.env.component).split("\n")[0]})` : ""}\n`
          : `${where} was not locked\n`,
      );
    }
    return [];
  });
}
