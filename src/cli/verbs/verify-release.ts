/** `slipway <env> verify-release [component] [--limit H]`: files of the current release changed on the hosts since the build; exit 1 if any. */
import { readHandEdits } from "../../apply/preflight/handedits.js";
import { OperationError } from "../../errors.js";
import { editCount, editLines } from "../../plan/handedits-input.js";
import type { Globals } from "../registry.js";
import { openSession, parseVerb, runOperation, verbCommand } from "../session.js";

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    "verify-release",
    "Compare the current release on every host with the file digest written when it was built, and list the files changed, added or removed since (shared links and dependency directories are not compared); exit 1 if any.",
    "slipway production verify-release",
  )
    .argument("[component]", "a component (default: the app)")
    .option("--limit <hosts>", "only these hosts, roles or globs");
  const parsed = parseVerb<{ limit?: string }>(cmd, args, globals);
  if (!parsed) return 0;
  const s = await openSession(parsed.opts, { verb: "verify-release", limit: parsed.opts.limit, record: false, quiet: true, component: parsed.args[0] ?? null });
  return runOperation(s, async () => {
    const edits = await readHandEdits(s.ctx, s.hosts);
    const edited = Object.entries(edits).filter(([, e]) => editCount(e) > 0);
    if (parsed.opts.json) s.out.data({ ok: edited.length === 0, hosts: edits });
    else
      for (const h of s.hosts) {
        const e = edits[h.name]!;
        const what =
          e.state === "none"
            ? "no current release"
            : e.state === "no-digest"
              ? "no digest (built before digests were kept): not compared"
              : editCount(e)
                ? `${editCount(e)} file(s) differ from the build`
                : "matches its build digest";
        s.out.text(
          `${h.name}: ${what}\n${editLines(e)
            .map((l) => `  ${l}\n`)
            .join("")}`,
        );
      }
    if (edited.length)
      throw new OperationError(
        `the current release was edited on ${edited.map(([h]) => h).join(", ")}: a deploy or rollback would discard these files (commit them to the repository, or pass --override hand-edits / rollback --force)`,
      );
    return [];
  });
}
