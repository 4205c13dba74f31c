/** `slipway <env> cleanup` — keep keep_releases good releases, current and the rollback target; remove the rest. */
import { gatherStates } from "../../apply/gather.js";
import { withLock } from "../../apply/lock.js";
import { runScripts } from "../../apply/stages.js";
import { pathsFor } from "../../config/paths.js";
import { pruneDependencies, removeReleases } from "../../commands/release.js";
import type { HostScript } from "../../commands/script.js";
import { failedOrExpired, releasesToRemove } from "../../plan/cleanup.js";
import { parseDuration } from "../duration.js";
import type { Globals } from "../registry.js";
import { openSession, parseVerb, runOperation, verbCommand } from "../session.js";

/** `cleanup` trims to keep_releases; `clean-releases` only removes failed and expired private releases. */
export function cleanupVerb(name: "cleanup" | "clean-releases") {
  return (args: string[], globals: Globals) => runCleanup(name, args, globals);
}

export const run = cleanupVerb("cleanup");

async function runCleanup(name: "cleanup" | "clean-releases", args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    name,
    name === "cleanup"
      ? "Remove failed, bad, expired private and surplus releases (never current or the rollback target)."
      : "Remove failed releases and expired private ones; print what was removed.",
    `slipway production ${name} --plan`,
  )
    .argument("[component]", "a component (default: the app)")
    .option("--plan", "only print what would be removed")
    .option("--limit <hosts>", "only these hosts, roles or globs")
    .option("--lock-wait <duration>", "wait this long for the environment lock", "0");
  const parsed = parseVerb<{ plan?: boolean; limit?: string; lockWait: string }>(cmd, args, globals);
  if (!parsed) return 0;
  const s = await openSession(parsed.opts, { verb: name, limit: parsed.opts.limit, record: !parsed.opts.plan, component: parsed.args[0] ?? null });
  return runOperation(s, async () => {
    const pool = s.ctx.pool;
    const work = async () => {
      const states = await gatherStates(s.ctx, pool, s.hosts);
      const scripts: Record<string, HostScript> = {};
      const lines: string[] = [];
      for (const h of s.hosts) {
        const st = states[h.name]!;
        const ids = name === "cleanup" ? releasesToRemove(st, s.env.keepReleases) : failedOrExpired(st);
        lines.push(`${h.name}: ${ids.length ? `${parsed.opts.plan ? "would remove" : "removed"} ${ids.join(", ")}` : "nothing to remove"}`);
        const prune = s.env.dependencies.length ? [pruneDependencies(pathsFor(h.deployTo), s.env.dependencies.map((d) => d.path))] : [];
        if (ids.length) scripts[h.name] = { env: {}, sections: [{ phase: "cleanup", commands: [removeReleases(pathsFor(h.deployTo), ids), ...prune] }] };
      }
      if (!parsed.opts.plan && Object.keys(scripts).length) await runScripts(s.ctx, pool, s.hosts.filter((h) => scripts[h.name]), scripts, "cleanup");
      return lines;
    };
    if (parsed.opts.plan) return await work();
    return await withLock(s.ctx, pool, name, "", parseDuration(parsed.opts.lockWait, "--lock-wait"), work);
  });
}
