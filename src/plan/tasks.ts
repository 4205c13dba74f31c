/** Manual tasks, pure part: which apply to a deploy, the `tasks` gate, and the listing. */
import type { GateResult } from "./preflight.js";
import type { Task } from "./tasks-input.js";

/** Open tasks for this deploy: those without a ref, or for its ref or commit. */
export function openTasksFor(tasks: Task[], ref: string, commit: string): Task[] {
  return tasks
    .filter((t) => !t.done && (!t.ref || t.ref === ref || (t.ref.length >= 7 && commit.startsWith(t.ref))))
    .sort((a, b) => Date.parse(a.made) - Date.parse(b.made));
}

const one = (t: Task) => `${t.id} "${t.text}"${t.ref ? ` (ref ${t.ref})` : ""}`;

/** A `before` task open refuses; open `after` tasks are a passing line (and printed after the deploy). */
export function tasksGate(tasks: Task[], ref: string, commit: string, env: string): GateResult[] {
  const open = openTasksFor(tasks, ref, commit);
  const before = open.filter((t) => t.when === "before");
  const after = open.filter((t) => t.when === "after");
  const out: GateResult[] = [];
  if (before.length)
    out.push({
      gate: "tasks",
      ok: false,
      line: `${before.length} manual task(s) to do before this deploy still open: ${before.map(one).join("; ")}`,
      evidence: { before: before.map((t) => t.id) },
      hint: `do them, then: ${before.map((t) => `slipway ${env} tasks done ${t.id} -m "what was done"`).join("; ")}`,
    });
  if (after.length)
    out.push({
      gate: "tasks",
      ok: true,
      line: `${after.length} manual task(s) to do after this deploy: ${after.map(one).join("; ")}`,
      evidence: { after: after.map((t) => ({ id: t.id, text: t.text })) },
    });
  return out;
}

/** The lines printed at the end of a deploy for its open `after` tasks. */
export function afterTaskLines(results: GateResult[], env: string): string[] {
  const after = results.flatMap((r) =>
    r.gate === "tasks" && r.ok && Array.isArray(r.evidence?.after) ? (r.evidence.after as { id: string; text: string }[]) : [],
  );
  const seen = new Set<string>();
  return after
    .filter((t) => !seen.has(t.id) && seen.add(t.id))
    .map((t) => `manual task after this deploy: ${t.id} "${t.text}" (then: slipway ${env} tasks done ${t.id} -m "note")`);
}

/** `tasks`: open ones first, then the most recently done (`recent`). */
export function formatTasks(tasks: Task[], recent = 10): string {
  const open = tasks.filter((t) => !t.done).sort((a, b) => Date.parse(a.made) - Date.parse(b.made));
  const done = tasks
    .filter((t) => t.done)
    .sort((a, b) => Date.parse(b.done!.at) - Date.parse(a.done!.at))
    .slice(0, recent);
  const lines: string[] = [];
  lines.push(open.length ? "open:" : "no open tasks");
  for (const t of open) lines.push(`  ${t.id}  ${t.when.padEnd(6)} ${JSON.stringify(t.text)}${t.ref ? ` ref ${t.ref}` : ""}  added ${t.made} by ${t.by}`);
  if (done.length) {
    lines.push("recently done:");
    for (const t of done)
      lines.push(
        `  ${t.id}  ${t.when.padEnd(6)} ${JSON.stringify(t.text)}  done ${t.done!.at} by ${t.done!.by} in release ${t.done!.release ?? "(none)"}: ${t.done!.note}`,
      );
  }
  return `${lines.join("\n")}\n`;
}
