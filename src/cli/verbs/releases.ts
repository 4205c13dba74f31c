/** `slipway <env> releases` — a table per host: id, commit, time, by, status. */
import { gatherStates } from "../../apply/gather.js";
import type { HostState } from "../../plan/state.js";
import { table } from "../../render/table.js";
import type { Globals } from "../registry.js";
import { openSession, parseVerb, runOperation, verbCommand } from "../session.js";

export function releaseRows(st: HostState): string[][] {
  return [...st.releases]
    .reverse()
    .map((r) => [
      r.id,
      r.manifest?.commit.slice(0, 12) ?? "?",
      r.manifest?.createdAt.replace("T", " ").replace(/\.\d+Z$/, "Z") ?? "?",
      r.manifest?.deployedBy ?? "?",
      (r.id === st.current ? `current (${r.status})` : r.status) +
        (r.manifest?.hotfix ? " hotfix" : "") +
        (r.status === "private" && r.manifest?.expiresAt ? ` until ${r.manifest.expiresAt.slice(0, 10)}` : ""),
    ]);
}

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand("releases", "List the releases on every host with commit, time, deployer and status.", "slipway production releases --limit web1")
    .argument("[component]", "a component (default: the app)")
    .option("--limit <hosts>", "only these hosts, roles or globs");
  const parsed = parseVerb<{ limit?: string }>(cmd, args, globals);
  if (!parsed) return 0;
  const s = await openSession(parsed.opts, { verb: "releases", limit: parsed.opts.limit, record: false, quiet: true, component: parsed.args[0] ?? null });
  return runOperation(s, async () => {
    const pool = s.ctx.pool;
    const states = await gatherStates(s.ctx, pool, s.hosts);
    if (parsed.opts.json) {
      s.out.data(states);
      return [];
    }
    for (const h of s.hosts) {
      const st = states[h.name]!;
      s.out.text(`${h.name} (${h.deployTo})${st.lock ? "  [locked]" : ""}\n`);
      if (!st.initialized || st.releases.length === 0) s.out.text("  no releases yet\n\n");
      else s.out.text(table(["RELEASE", "COMMIT", "CREATED", "BY", "STATUS"], releaseRows(st)).replace(/^/gm, "  ") + "\n");
    }
    return [];
  });
}
