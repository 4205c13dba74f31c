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
    status: z.enum(["watching", "reverting", "passed", "reverted", "revert-failed", "stopped"]),
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

export interface HostWatch {
  host: string;
  release: string;
  alive: boolean;
  state: WatchState | null;
  problem?: string;
}

/** The `readWatch` fragment's lines (tagged `VWATCH`), parsed strictly. */
export function parseWatchLines(host: string, out: string): HostWatch | null {
  const head = out.split("\n").find((l) => l.startsWith("VWATCH\t"));
  if (!head) return null;
  const [, rel, alive] = head.split("\t");
  const raw = out
    .split("\n")
    .find((l) => l.startsWith("VWATCHSTATE\t"))
    ?.slice("VWATCHSTATE\t".length);
  const parsed = raw ? parseWatchState(raw) : { ok: false as const, problem: "no state file" };
  return { host, release: rel ?? "?", alive: alive === "yes", state: parsed.ok ? parsed.value : null, ...(parsed.ok ? {} : { problem: parsed.problem }) };
}

const hhmmss = (iso: string) => (/T(\d\d:\d\d:\d\d)/.exec(iso)?.[1] ?? iso) + " UTC";

/** One host's watcher in words, for `status`. */
export function describeWatch(w: HostWatch): string {
  const s = w.state;
  if (!s) return `watcher of ${w.release}: unreadable state (${w.problem ?? "?"})`;
  const ev = s.evidence ? ` (${s.evidence})` : "";
  switch (s.status) {
    case "watching":
      return w.alive
        ? `watching ${s.release} until ${hhmmss(s.until)} (${s.rounds} round(s) ok)`
        : `the watcher of ${s.release} died after ${s.rounds} round(s) (last seen ${hhmmss(s.updated)}); nothing was reverted`;
    case "reverting":
      return `reverting ${s.release} to ${s.previous} now${ev}`;
    case "passed":
      return `passed for ${s.release} (${s.rounds} round(s), ended ${hhmmss(s.updated)})`;
    case "reverted":
      return `reverted automatically at ${hhmmss(s.updated)} from ${s.release} to ${s.previous}${ev}`;
    case "revert-failed":
      return `automatic revert of ${s.release} FAILED at ${hhmmss(s.updated)}${ev}`;
    case "stopped":
      return `stopped watching ${s.release}${ev}`;
  }
}

/** The status rows: the primary's watcher, then any host whose watcher says something else. */
export function watchLines(watches: readonly HostWatch[], primary: string): string[] {
  if (!watches.length) return [];
  const first = watches.find((w) => w.host === primary) ?? watches[0]!;
  const head = describeWatch(first);
  return [head, ...watches.filter((w) => w !== first && describeWatch(w) !== head).map((w) => `${w.host}: ${describeWatch(w)}`)];
}
