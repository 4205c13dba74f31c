/** `slipway <env> tasks [add "text" [--when before|after] [--ref R] | done <id> -m note]`: manual tasks for deploys. */
import { now } from "../../config/clock.js";
import { newRecordId, primaryCurrentRelease, readTasks, writeOnPrimary } from "../../apply/records.js";
import { RECORD_ID } from "../../commands/records.js";
import { OperationError, UsageError } from "../../errors.js";
import type { Task } from "../../plan/tasks-input.js";
import { formatTasks } from "../../plan/tasks.js";
import type { Globals } from "../registry.js";
import { openSession, parseVerb, runOperation, verbCommand } from "../session.js";

interface Opts {
  when: string;
  ref?: string;
  message?: string;
}

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    "tasks",
    "Manual tasks for deploys, stored on the primary: an open `before` task refuses a deploy (of its --ref, or any deploy without one); open `after` tasks are listed by the deploy and printed at its end. Done tasks record who, when, the note and the release that was current.",
    'slipway production tasks add "Rotate the CDN key" --when before',
  )
    .argument("[action]", "add | done (none: list open and recently done)")
    .argument("[text-or-id]", "add: the task; done: its id")
    .option("--when <when>", "add: before | after the deploy", "before")
    .option("--ref <ref>", "add: only for deploys of this ref (branch, tag or commit)")
    .option("-m, --message <note>", "done: what was done (required)");
  const parsed = parseVerb<Opts>(cmd, args, globals);
  if (!parsed) return 0;
  const [action, arg] = parsed.args;
  const o = parsed.opts;
  if (action !== undefined && action !== "add" && action !== "done" && action !== "list")
    throw new UsageError(`tasks: expected add, done or nothing, got ${JSON.stringify(action)}`);
  if (action === "add") {
    if (!arg?.trim()) throw new UsageError('tasks add needs the task, e.g. tasks add "Rotate the CDN key"');
    if (o.when !== "before" && o.when !== "after") throw new UsageError(`--when: expected before or after, got ${JSON.stringify(o.when)}`);
  }
  if (action === "done") {
    if (!arg || !RECORD_ID.test(arg)) throw new UsageError(`tasks done needs a task id (see: slipway ${globals.env} tasks), got ${JSON.stringify(arg ?? "")}`);
    if (!o.message?.trim()) throw new UsageError('tasks done needs -m "what was done"');
  }
  const mutating = action === "add" || action === "done";
  const s = await openSession(o, { verb: mutating ? `tasks ${action}` : "tasks", record: mutating, quiet: true });
  return runOperation(s, async () => {
    if (action === "add") {
      const t: Task = {
        id: newRecordId("t"),
        text: arg!.trim(),
        when: o.when as Task["when"],
        ...(o.ref ? { ref: o.ref } : {}),
        made: now().toISOString(),
        by: s.ctx.by,
      };
      await writeOnPrimary(s.ctx, "tasks", t.id, t);
      if (o.json) s.out.data(t);
      else s.out.text(`added ${t.id} (${t.when} ${o.ref ? `deploys of ${o.ref}` : "the next deploy"}): ${t.text}\n`);
      return [];
    }
    const tasks = await readTasks(s.ctx);
    if (action === "done") {
      const t = tasks.find((x) => x.id === arg);
      if (!t)
        throw new OperationError(
          `no task ${arg} on ${s.env.name}; open: ${
            tasks
              .filter((x) => !x.done)
              .map((x) => x.id)
              .join(", ") || "(none)"
          }`,
        );
      if (t.done) throw new OperationError(`task ${t.id} was already done at ${t.done.at} by ${t.done.by}: ${t.done.note}`);
      const release = await primaryCurrentRelease(s.ctx);
      const closed: Task = { ...t, done: { at: now().toISOString(), by: s.ctx.by, note: o.message!.trim(), release } };
      await writeOnPrimary(s.ctx, "tasks", t.id, closed);
      if (o.json) s.out.data(closed);
      else s.out.text(`done ${t.id} "${t.text}" (release ${release ?? "(none)"})\n`);
      return [];
    }
    if (o.json) s.out.data(tasks);
    else s.out.text(formatTasks(tasks));
    return [];
  });
}
