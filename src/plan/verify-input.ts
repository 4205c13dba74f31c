/**
 * What verify-window checks print (commands/verify-checks.ts), parsed strictly: only
 * `CHECK<TAB>name<TAB>ok|fail<TAB>evidence` lines for checks we asked for count; a check that
 * printed nothing, or printed twice, is a failure, never a pass. Also the watcher's `state` file.
 */
import { z } from "zod";
import { EVIDENCE_MAX } from "../commands/verify-checks.js";
import { isReleaseId } from "./host-input.js";

export interface CheckResult {
  name: string;
  ok: boolean;
  evidence: string;
}

/** Per expected check its result, in the order asked; `problems` names lines that were not understood. */
export function parseCheckOutput(out: string, expected: readonly string[]): { results: CheckResult[]; problems: string[] } {
  const got = new Map<string, CheckResult[]>();
  const problems: string[] = [];
  for (const line of out.split("\n")) {
    if (!line.startsWith("CHECK\t")) continue;
    const f = line.split("\t");
    const [, name, verdict, evidence] = f;
    if (f.length !== 4 || !name || !expected.includes(name) || (verdict !== "ok" && verdict !== "fail") || evidence!.length > EVIDENCE_MAX) {
      problems.push(`unexpected check line: ${JSON.stringify(line.slice(0, 120))}`);
      continue;
    }
    got.set(name, [...(got.get(name) ?? []), { name, ok: verdict === "ok", evidence: evidence! }]);
  }
  const results = expected.map((name): CheckResult => {
    const r = got.get(name) ?? [];
    if (r.length === 1) return r[0]!;
    return { name, ok: false, evidence: r.length ? "reported more than once" : "printed no result" };
  });
  return { results, problems };
}

/** A failing result as one phrase: `check error-rate: 0.2 > 0.01`. */
export const describeFailure = (r: CheckResult) => `check ${r.name}: ${r.evidence}`;

const iso = z.string().max(64);
/** `.slipway/watch/<release>/state` on a watcher's host (one JSON object, rewritten atomically). */
const watchStateSchema = z
  .object({
    status: z.enum(["watching", "passed", "reverted", "revert-failed", "stopped"]),
    release: z.string().refine(isReleaseId, "expected a release id"),
    previous: z.string().refine(isReleaseId, "expected a release id").nullable(),
    started: iso,
    until: iso,
    rounds: z.number().int().nonnegative(),
    updated: iso,
    evidence: z.string().max(1000).optional(),
  })
  .strict();

export type WatchState = z.infer<typeof watchStateSchema>;

/** The state file's content, or a problem (never an exception: status is read-only). */
export function parseWatchState(raw: string): { ok: true; value: WatchState } | { ok: false; problem: string } {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { ok: false, problem: `watch state is not JSON: ${JSON.stringify(raw.slice(0, 80))}` };
  }
  const r = watchStateSchema.safeParse(data);
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0]!;
  return { ok: false, problem: `watch state${issue.path.length ? `.${issue.path.join(".")}` : ""}: ${issue.message}` };
}
