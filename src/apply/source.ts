/** Resolve the commit once, on the control machine, so every host gets exactly the same code. */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { promisify } from "node:util";
import type { Source } from "../config/resolve.js";
import { listFiles, type FileEntry } from "./files.js";
import { OperationError, UsageError } from "../errors.js";

const run = promisify(execFile);

export interface ResolvedSource {
  commit: string;
  ref: string;
  /** A dir source's file list, hashed once here and reused by the upload. */
  files?: FileEntry[];
}

const FULL_SHA = /^[0-9a-f]{40}$/;

export async function resolveSource(src: Source, refOverride?: string): Promise<ResolvedSource> {
  if (src.type === "dir") {
    const files = listFiles(src.path);
    return { commit: hashFiles(files), ref: "dir", files };
  }
  const ref = refOverride ?? src.ref;
  if (FULL_SHA.test(ref)) return { commit: ref, ref };
  // A ref is never an option to git, whatever it was given as.
  if (ref.startsWith("-") || /[\0-\x1f\x7f]/.test(ref))
    throw new UsageError(`invalid ref ${JSON.stringify(ref)}: a branch, tag or commit cannot start with "-" or contain control characters`);
  let out: string;
  // A ref that is not there is the caller's mistake (exit 2); failing to ask is an operation failure.
  const notFound = () => new UsageError(`ref "${ref}" not found in ${src.repo} (use a branch, a tag or a full 40-character commit)`);
  if (!/:/.test(src.repo)) {
    // A local repository path is asked directly (this also resolves short commits).
    const r = await run("git", ["-C", src.repo, "rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`]).catch(
      (e: { stderr?: string; code?: number }) => e,
    );
    if ("stdout" in r && FULL_SHA.test(String(r.stdout).trim())) return { commit: String(r.stdout).trim(), ref };
    if (!("stdout" in r) && (r as { code?: number }).code === 1) throw notFound();
  }
  try {
    out = (await run("git", ["ls-remote", "--end-of-options", src.repo, ref, `refs/tags/${ref}^{}`], { timeout: 60_000 })).stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new OperationError(`cannot resolve ${ref} in ${src.repo}: ${(err.stderr || err.message).trim().split("\n").slice(-3).join(" ")}`);
  }
  const lines = out
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split("\t") as [string, string]);
  // Prefer a peeled tag (the commit), then an exact branch, then anything matching.
  const pick = lines.find(([, n]) => n.endsWith("^{}")) ?? lines.find(([, n]) => n === `refs/heads/${ref}`) ?? lines[0];
  if (!pick) throw notFound();
  // What the git server answered is checked like any data from outside.
  if (!FULL_SHA.test(pick[0])) throw new OperationError(`${src.repo} answered ${JSON.stringify(pick[0].slice(0, 80))} for ${ref}, which is not a commit id`);
  return { commit: pick[0], ref };
}

/**
 * When `commit` was committed (its committer date, UTC ISO), or null. Asked only of a repository
 * that is a path on this machine (no network: ls-remote gives no dates, and a deploy must not fetch
 * for a figure); remote and directory sources give null, and their lead time is "unknown".
 */
export async function commitTime(src: Source, commit: string): Promise<string | null> {
  if (src.type !== "git" || /:/.test(src.repo) || !FULL_SHA.test(commit)) return null;
  const r = await run("git", ["-C", src.repo, "log", "-1", "--format=%ct", "--end-of-options", commit], { timeout: 10_000 }).catch(() => null);
  const secs = r ? Number(String(r.stdout).trim()) : Number.NaN;
  return Number.isFinite(secs) && secs > 0 ? new Date(secs * 1000).toISOString() : null;
}

/** A content hash of the file list stands in for the commit of a directory source. */
export function hashFiles(files: FileEntry[]): string {
  return createHash("sha1").update(JSON.stringify(files)).digest("hex");
}
