/** `slipway <env> history [-n 20] [--local]` — the deploy log kept on the primary host, or the state store (this machine's or the team's). */
import { parseHistory } from "../../plan/host-input.js";
import { pathsFor } from "../../config/paths.js";
import { readHistory } from "../../plan/host-input.js";
import { capture } from "../../exec/runner.js";
import { table } from "../../render/table.js";
import { parsePositiveInt } from "../duration.js";
import type { Globals } from "../registry.js";
import { openSession, parseVerb, runOperation, stateDir, verbCommand } from "../session.js";

const short = (s: string | null | undefined) => (s ? s.slice(0, 12) : "-");
const when = (iso: string) => iso.replace("T", " ").replace(/\.\d+Z$/, "Z");

/** The line under the table: how much was shown, and how to see more when the -n limit was reached. */
function scopeLine(shown: number, limit: number): string {
  const noun = shown === 1 ? "entry" : "entries";
  return shown >= limit
    ? `newest ${shown} ${noun} shown (-n ${limit}); older entries may exist: use -n ${limit * 2} to see more\n`
    : `${shown} ${noun} (all of them)\n`;
}

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand("history", "Show who deployed what and when, from the log kept on the primary host.", "slipway production history -n 50")
    .option("-n, --limit-entries <n>", "how many entries, newest first (the output says when there may be more)", "20")
    .option("--local", "show this control machine's or the team's state store instead (the `state` key; with log paths)")
    .argument("[component]", "a component (default: the app)");
  const parsed = parseVerb<{ limitEntries: string; local?: boolean }>(cmd, args, globals);
  if (!parsed) return 0;
  const n = parsePositiveInt(parsed.opts.limitEntries, "-n");
  const s = await openSession(parsed.opts, { verb: "history", record: false, quiet: true, component: parsed.args[0] ?? null });
  return runOperation(s, async () => {
    if (parsed.opts.local) {
      const { openStateStore } = await import("../../store/open.js");
      const store = await openStateStore(s.loaded, stateDir(s.env));
      const runs = await store.listRuns(s.env.name, n).finally(() => store.close());
      if (parsed.opts.json) s.out.data(runs);
      else
        s.out.text(
          table(
            ["WHEN", "VERB", "RELEASE", "COMMIT", "BY", "OUTCOME", "SECONDS", "LOG"],
            runs.map((r) => [
              when(r.startedAt),
              r.verb,
              r.releaseId ?? "-",
              short(r.commit),
              r.by,
              r.outcome ?? "running?",
              r.durationMs === null ? "-" : (r.durationMs / 1000).toFixed(1),
              r.logPath ?? "-",
            ]),
          ) + scopeLine(runs.length, n),
        );
      return [];
    }
    const pool = s.ctx.pool;
    const ex = await pool.get(s.env.primary);
    const out = await capture(ex, "history", readHistory(pathsFor(s.env.primary.deployTo), n), "read history");
    const { entries: oldestFirst, problems } = parseHistory(out);
    for (const p of problems) s.bus.warn(`skipped a malformed history entry (${p})`, s.env.primary.name);
    const entries = oldestFirst.reverse();
    if (parsed.opts.json) s.out.data(entries);
    else if (!entries.length)
      s.out.text(`no history on ${s.env.primary.name} yet
`);
    else
      s.out.text(
        table(
          ["WHEN", "VERB", "RELEASE", "FROM", "TO", "BY", "OUTCOME", "SECONDS", "GATES", "MESSAGE"],
          entries.map((e) => [
            when(e.at),
            e.verb,
            e.release,
            short(e.fromCommit),
            short(e.toCommit),
            e.by,
            e.outcome,
            (e.durationMs / 1000).toFixed(1),
            gatesCell(e.gates),
            e.message ?? "",
          ]),
        ) + scopeLine(entries.length + problems.length, n),
      );
    return [];
  });
}

/** `ci,windows OVERRIDDEN windows by ada: outage` — every gate passed, and any override with who and why. */
function gatesCell(gates: { gate: string; ok: boolean; overridden?: { by: string; reason: string } }[] | undefined): string {
  if (!gates?.length) return "";
  const over = gates.filter((g) => g.overridden).map((g) => `OVERRIDDEN ${g.gate} by ${g.overridden!.by}: ${g.overridden!.reason}`);
  return [[...new Set(gates.map((g) => g.gate))].join(","), ...over].join(" ");
}
