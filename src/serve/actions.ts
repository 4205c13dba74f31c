/**
 * What the dashboard and the API can do, as data: each action's fields (checked by a strict schema,
 * since they come from a browser or a script), the CLI call that does it, and how its plan is
 * shown before the confirmation. Values go to the CLI as `--flag=value` or as positional
 * arguments that strict formats keep from ever starting with `-`: nothing a user types can become
 * an option of its own, and there is no shell anywhere (runner.ts).
 */
import { z } from "zod";
import { RELEASE_ID } from "../config/paths.js";
import { RECORD_ID } from "../commands/records.js";

/** A git ref or commit as a person types it: no leading dash, no `..`, no spaces or shell characters. */
const REF = /^(?!-)(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._/@+-]{0,199}$/;
const ref = z.string().trim().regex(REF, "expected a branch, tag or commit (letters, digits, . _ / @ + -; no leading -, no ..)");
const text = (what: string) =>
  z
    .string()
    .trim()
    .max(500, `${what}: at most 500 characters`)
    .regex(/^[^\0\r\n]*$/, `${what}: one line`);
const optional = <T extends z.ZodType>(t: T) => z.preprocess((v) => (typeof v === "string" && v.trim() === "" ? undefined : v), t.optional());

export const ACTION_INPUTS = {
  deploy: z.object({ ref: optional(ref), message: optional(text("message")) }),
  rollback: z.object({
    release: optional(z.string().regex(RELEASE_ID, "expected a release id like 20260101-120000-abc1234")),
    message: optional(text("message")),
  }),
  lock: z.object({ message: text("reason").min(1, "a lock needs a reason") }),
  unlock: z.object({}),
  approve: z.object({ ref, message: text("message").min(1, "an approval needs a reason") }),
  task: z.object({ id: z.string().regex(RECORD_ID, "expected a task id"), note: text("note").min(1, "say what was done") }),
} as const;

export type ActionName = keyof typeof ACTION_INPUTS;
export const ACTION_NAMES = Object.keys(ACTION_INPUTS) as ActionName[];

export interface ActionPlan {
  /** The CLI arguments after the environment. */
  args: string[];
  /** Arguments that print the plan (`--plan`), or null when a sentence says it all. */
  planArgs: string[] | null;
  /** One line: what confirming will do. */
  summary: string;
  /** Long: runs in the background with a live log (deploy, rollback); short ones answer at once. */
  long: boolean;
}

type Inputs = { [K in ActionName]: z.infer<(typeof ACTION_INPUTS)[K]> };

const msg = (m: string | undefined) => (m ? [`--message=${m}`] : []);

/** Check an action's fields: the plan, or the first problem naming its field. */
export function planAction(
  env: string,
  name: ActionName,
  fields: unknown,
): { ok: true; plan: ActionPlan; input: Record<string, string> } | { ok: false; error: string } {
  const schema = ACTION_INPUTS[name] as z.ZodType;
  const r = schema.safeParse(fields ?? {});
  if (!r.success) {
    const i = r.error.issues[0]!;
    return { ok: false, error: `${i.path.join(".") || name}: ${i.message}` };
  }
  const input = r.data as Record<string, string>;
  return { ok: true, plan: build(env, name, r.data as never), input };
}

function build<K extends ActionName>(env: string, name: K, i: Inputs[K]): ActionPlan {
  switch (name) {
    case "deploy": {
      const d = i as Inputs["deploy"];
      const ref = d.ref ? [`--ref=${d.ref}`] : [];
      return {
        args: ["deploy", ...ref, ...msg(d.message)],
        planArgs: ["deploy", "--plan", ...ref],
        summary: `deploy ${d.ref ?? "the configured ref"} to ${env}`,
        long: true,
      };
    }
    case "rollback": {
      const r = i as Inputs["rollback"];
      const to = r.release ? [r.release] : [];
      return {
        args: ["rollback", ...to, ...msg(r.message)],
        planArgs: ["rollback", ...to, "--plan"],
        summary: `roll ${env} back to ${r.release ?? "the previous good release"}`,
        long: true,
      };
    }
    case "lock": {
      const l = i as Inputs["lock"];
      return {
        args: ["lock", "acquire", `--message=${l.message}`],
        planArgs: null,
        summary: `lock ${env} with the reason "${l.message}": nobody can deploy until it is released`,
        long: false,
      };
    }
    case "unlock":
      return { args: ["lock", "release"], planArgs: null, summary: `release the lock of ${env}, whoever holds it`, long: false };
    case "approve": {
      const a = i as Inputs["approve"];
      return { args: ["approve", a.ref, `--message=${a.message}`], planArgs: null, summary: `approve ${a.ref} for ${env}: "${a.message}"`, long: false };
    }
    case "task": {
      const t = i as Inputs["task"];
      return { args: ["tasks", "done", t.id, `--message=${t.note}`], planArgs: null, summary: `mark task ${t.id} of ${env} done: "${t.note}"`, long: false };
    }
  }
  throw new Error(`unknown action ${String(name)}`);
}
