/** `slipway <env> setup-release [--ref R] [--keep-days N]`: build a release that is never switched to. */
import { applyDeploy } from "../../apply/deploy.js";
import { pathsFor } from "../../config/paths.js";
import { parseDuration, parsePositiveInt } from "../duration.js";
import type { Globals } from "../registry.js";
import { openSession, parseVerb, runOperation, verbCommand } from "../session.js";

interface Opts {
  ref?: string;
  keepDays: string;
  limit?: string;
  lockWait: string;
}

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    "setup-release",
    "Build a private release (fetch, link, build) that is not switched to and not used by rollback; prints its path. Cleanup keeps it at least --keep-days.",
    "slipway production setup-release --ref main --keep-days 10",
  )
    .argument("[component]", "a component (default: the app)")
    .option("--ref <ref>", "branch, tag or commit (default: the config's ref)")
    .option("--keep-days <n>", "keep it at least this many days", "1")
    .option("--limit <hosts>", "only these hosts, roles or globs")
    .option("--lock-wait <duration>", "wait this long for the environment lock", "0");
  const parsed = parseVerb<Opts>(cmd, args, globals);
  if (!parsed) return 0;
  const { opts } = parsed;
  const days = parsePositiveInt(opts.keepDays, "--keep-days");
  const s = await openSession(opts, { verb: "setup-release", limit: opts.limit, record: true, component: parsed.args[0] ?? null });
  return runOperation(s, async () => {
    const r = await applyDeploy(s.ctx, s.hosts, { ref: opts.ref, lockWaitMs: parseDuration(opts.lockWait, "--lock-wait"), privateDays: days });
    for (const h of s.hosts) s.out.text(`${h.name}: ${pathsFor(h.deployTo).release(r.releaseId)}\n`);
    return [
      `private release ${r.releaseId} (${r.commit.slice(0, 12)}) ready on ${s.hosts.length} host(s), kept at least ${days} day(s); cd into the path above to use it`,
    ];
  });
}
