/**
 * What `run --check` reads back from a host (`checkDetached`'s lines), parsed strictly: a status
 * from a fixed set, timestamps and an exit code by pattern. Anything else is a problem line the
 * verb prints as a warning, never a crash.
 */
/** `unknown`: the host answered, but not with a status line we can read. */
export type RunState = "none" | "running" | "done" | "failed" | "died" | "unknown";

export interface RunStatus {
  status: RunState;
  started?: string;
  finished?: string;
  exit?: number;
  log: string[];
  problems: string[];
}

const STATES = new Set<RunState>(["none", "running", "done", "failed", "died"]);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const EXIT = /^\d{1,3}$/;

export function parseRunStatus(out: string): RunStatus {
  const st: RunStatus = { status: "none", log: [], problems: [] };
  let sawStatus = false;
  for (const line of out.split("\n")) {
    if (line === "") continue;
    const i = line.indexOf(" ");
    const [k, v] = i < 0 ? [line, ""] : [line.slice(0, i), line.slice(i + 1)];
    if (k === "LOG") st.log.push(v.slice(0, 2000));
    else if (k === "STATUS") {
      if (STATES.has(v as RunState)) {
        st.status = v as RunState;
        sawStatus = true;
      } else st.problems.push(`unexpected run status ${JSON.stringify(v.slice(0, 80))}`);
    } else if (k === "STARTED" || k === "FINISHED") {
      if (v === "") continue;
      if (!ISO.test(v)) st.problems.push(`unexpected ${k.toLowerCase()} time ${JSON.stringify(v.slice(0, 80))}`);
      else if (k === "STARTED") st.started = v;
      else st.finished = v;
    } else if (k === "EXIT") {
      if (v === "") continue;
      if (EXIT.test(v)) st.exit = Number(v);
      else st.problems.push(`unexpected exit code ${JSON.stringify(v.slice(0, 80))}`);
    } else st.problems.push(`unexpected line ${JSON.stringify(line.slice(0, 80))}`);
  }
  // A status we could not read is not "none": say so rather than claim the run never started.
  if (!sawStatus) {
    st.status = "unknown";
    if (!st.problems.length) st.problems.push("no status line");
  }
  return st;
}

/** `run --check`'s exit code over every host that has the run: 1 if any failed, else 3 if any still runs, else 0. */
export function runCheckExit(states: RunState[]): 0 | 1 | 3 {
  const seen = states.filter((s) => s !== "none");
  if (!seen.length || seen.some((s) => s === "failed" || s === "died" || s === "unknown")) return 1;
  return seen.some((s) => s === "running") ? 3 : 0;
}
