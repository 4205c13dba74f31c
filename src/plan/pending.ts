/** Pending commits (what runs → what a deploy would ship): the decision from git's answers, its parsers and its text. */
import { table } from "../render/table.js";

/** One commit a deploy would bring. */
export interface PendingCommit {
  commit: string;
  author: string;
  date: string;
  subject: string;
}

/** One file changed between what runs and the ref (from `git diff --numstat`; binary files count -1). */
export interface ChangedFile {
  path: string;
  added: number;
  deleted: number;
}

/**
 * What a deploy of `ref` would change:
 * `ahead` (new commits), `up-to-date`, `not-deployed` (everything up to the ref),
 * `not-ancestor` (the ref does not contain what runs), `dir` (no git history), `unknown` (git could not tell).
 */
export type PendingState = "ahead" | "up-to-date" | "not-deployed" | "not-ancestor" | "dir" | "unknown";

export interface Pending {
  state: PendingState;
  ref: string;
  /** The primary's current release commit (null: nothing deployed). */
  from: string | null;
  /** What the ref resolves to (null when it could not be resolved). */
  to: string | null;
  /** Commits in `to` and not in `from`, newest first; at most COMMIT_LIMIT of them. */
  commits: PendingCommit[];
  /** How many commits there are in all (can exceed `commits.length`). */
  count: number;
  /** not-ancestor: commits that run now and are not in the ref (a deploy would drop them). */
  dropped?: number;
  files: ChangedFile[];
  /** Why the answer is unknown, or what the source is. */
  reason?: string;
}

/** Commits listed in full (the count is always exact). */
export const COMMIT_LIMIT = 50;

/** The `git log --format` whose lines parseLog reads (unit separators: names and subjects may hold tabs). */
export const LOG_FORMAT = "%H%x1f%an%x1f%aI%x1f%s";

/** Lines of `git log --format=LOG_FORMAT`. */
export function parseLog(out: string): PendingCommit[] {
  return out
    .split("\n")
    .filter((l) => l.includes("\x1f"))
    .map((l) => {
      const [commit = "", author = "", date = "", ...subject] = l.split("\x1f");
      return { commit, author, date, subject: subject.join(" ") };
    });
}

/** Lines of `git diff --numstat` (`-` for binary files becomes -1). */
export function parseNumstat(out: string): ChangedFile[] {
  return out
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const [a = "", d = "", ...p] = l.split("\t");
      const n = (x: string) => (/^\d+$/.test(x) ? Number(x) : -1);
      return { path: p.join("\t"), added: n(a), deleted: n(d) };
    });
}

/** Which case applies, from the two commits and git's ancestry answer. */
export function pendingState(from: string | null, to: string, fromIsAncestor: boolean): Exclude<PendingState, "dir" | "unknown"> {
  if (from === null) return "not-deployed";
  if (from === to) return "up-to-date";
  return fromIsAncestor ? "ahead" : "not-ancestor";
}

const short = (c: string | null) => (c ? c.slice(0, 12) : "(none)");

/** The headline: one line that says what a deploy would do. */
export function pendingHeadline(p: Pending): string {
  const n = `${p.count} commit${p.count === 1 ? "" : "s"}`;
  switch (p.state) {
    case "dir":
      return "pending: not available for a directory source (pending is for git sources)";
    case "unknown":
      return `pending: unknown (${p.reason ?? "git could not tell"})`;
    case "up-to-date":
      return `pending: up to date (${p.ref} is ${short(p.to)}, which runs now)`;
    case "not-deployed":
      return `pending: nothing deployed yet; ${n} up to ${p.ref} (${short(p.to)})`;
    case "ahead":
      return `pending: ${n} between ${short(p.from)} (running) and ${p.ref} (${short(p.to)})`;
    case "not-ancestor":
      return (
        `pending: the ref does not contain what runs; a deploy would go ${p.count ? "sideways" : "back"}: ` +
        `${p.ref} (${short(p.to)}) lacks ${p.dropped ?? "?"} commit(s) of ${short(p.from)} (running)${p.count ? ` and adds ${n}` : ""}`
      );
  }
}

/** The commits and files as text tables (after the headline). */
export function formatPending(p: Pending): string {
  let out = `${pendingHeadline(p)}\n`;
  if (p.commits.length) {
    out += `\n${table(
      ["COMMIT", "DATE", "AUTHOR", "SUBJECT"],
      p.commits.map((c) => [c.commit.slice(0, 12), c.date.replace("T", " ").replace(/([+-]\d\d:\d\d|Z)$/, ""), c.author, c.subject]),
    )}`;
    if (p.count > p.commits.length) out += `… and ${p.count - p.commits.length} older commit(s)\n`;
  }
  if (p.files.length) {
    const num = (x: number) => (x < 0 ? "bin" : String(x));
    out += `\n${table(
      ["FILE", "+", "-"],
      p.files.map((f) => [f.path, num(f.added), num(f.deleted)]),
    )}`;
    const add = p.files.reduce((s, f) => s + Math.max(0, f.added), 0);
    const del = p.files.reduce((s, f) => s + Math.max(0, f.deleted), 0);
    out += `${p.files.length} file(s) changed, +${add} -${del}\n`;
  }
  return out;
}
