/** Gate `tasks`: an open manual task to do `before` refuses a deploy; open `after` tasks are listed (and printed at the end). */
import { tasksGate } from "../../plan/tasks.js";
import type { PreflightCheck } from "../preflight.js";
import { readTasks } from "../records.js";
import { READS } from "./reads.js";

export const tasksCheck: PreflightCheck = {
  names: () => ["tasks"],
  async run(ctx, _hosts, input, phase) {
    if (input.verb !== "deploy" || phase !== "start") return [];
    return tasksGate(await readTasks(ctx, input.states[ctx.env.primary.name]?.extras?.[READS.tasks]), input.ref, input.commit, ctx.env.name);
  },
};
