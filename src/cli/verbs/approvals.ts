/** `slipway <env> approvals [ref]`: the approvals stored on the primary (all, or one commit's), and what the gate makes of them. */
import { loadApprovals } from "../../apply/preflight/approvals.js";
import { resolveSource } from "../../apply/source.js";
import { decideApprovals, userOf } from "../../plan/approvals-input.js";
import type { Globals } from "../registry.js";
import { openSession, parseVerb, runOperation, verbCommand } from "../session.js";

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    "approvals",
    "List approvals stored on the primary host (all commits, or one ref's commit) and whether they satisfy gates.approvals.",
    "slipway production approvals main",
  ).argument("[ref]", "a commit, branch or tag (default: every approved commit)");
  const parsed = parseVerb(cmd, args, globals);
  if (!parsed) return 0;
  const s = await openSession(parsed.opts, { verb: "approvals", record: false, quiet: true });
  return runOperation(s, async () => {
    const commit = parsed.args[0] && s.env.source.type !== "dir" ? (await resolveSource(s.env.source, parsed.args[0])).commit : undefined;
    const list = await loadApprovals(s.ctx, commit);
    const rule = s.env.gates.approvals;
    const commits = [...new Set(list.map((a) => a.commit))];
    if (commit && !commits.includes(commit)) commits.push(commit);
    const me = userOf(s.ctx.by);
    if (parsed.opts.json) {
      s.out.data({
        approvals: list,
        ...(rule ? { gate: Object.fromEntries(commits.map((c) => [c, decideApprovals(rule, list, c, me)])) } : {}),
      });
      return [];
    }
    const lines: string[] = [];
    for (const c of commits) {
      const mine = list.filter((a) => a.commit === c);
      lines.push(`${c.slice(0, 12)}${rule ? `  ${decideApprovals(rule, list, c, me).line} (if ${me} deploys)` : ""}`);
      for (const a of mine) lines.push(`  ${a.at}  ${a.who.padEnd(12)} ${a.ref}  "${a.why}"`);
      if (!mine.length) lines.push("  (no approvals)");
    }
    s.out.text(lines.length ? `${lines.join("\n")}\n` : `no approvals stored for ${s.env.name}\n`);
    return [];
  });
}
