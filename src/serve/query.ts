/** Query strings checked by a zod schema: the first problem becomes a 400 that names its parameter. */
import { z } from "zod";
import { ApiError } from "./errors.js";

export function parseQuery<T extends z.ZodType>(schema: T, query: unknown): z.infer<T> {
  const r = schema.safeParse(query ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const keys = issue.code === "unrecognized_keys" ? issue.keys : [];
  const name = keys.length ? keys.join(", ") : String(issue.path[0] ?? "query");
  throw new ApiError(400, keys.length ? `unknown query parameter ${name}` : `query parameter ${name}: ${issue.message}`);
}

/** A query parameter that is a whole number within [min, max], with messages that name the bound. */
export function wholeNumber(min: number, max: number) {
  return z
    .string()
    .regex(/^\d{1,15}$/, "expected a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min, `at least ${min}`).max(max, `at most ${max}`));
}
