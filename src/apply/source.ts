/** Resolve the commit once, on the control machine, so every host gets exactly the same code. */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { promisify } from "node:util";
import type { Source } from "../config/resolve.js";
import { OperationError } from "../errors.js";

const run = promisify(execFile);

export interface ResolvedSource {
  commit: string;
  ref: string;
}

const FULL_SHA = /^[0-9a-f]{40}$/;

export async function resolveSource(src: Source, refOverride?: string): Promise<ResolvedSource> {
  if (src.type === "dir") return { commit: await hashDirectory(src.path), ref: "dir" };
  const ref = refOverride ?? src.ref;
  if (FULL_SHA.test(ref)) return { commit: ref, ref };
  let out: string;
  const notFound = () => new OperationError(`ref "${ref}" not found in ${src.repo} (use a branch, a tag or a full 40-character commit)`);
  if (!/:/.test(src.repo)) {
    // A local repository path is asked directly (this also resolves short commits).
    const r = await run("git", ["-C", src.repo, "rev-parse", "--verify", "--quiet", `${ref}^{commit}`]).catch((e: { stderr?: string; code?: number }) => e);
    if ("stdout" in r && FULL_SHA.test(String(r.stdout).trim())) return { commit: String(r.stdout).trim(), ref };
    if (!("stdout" in r) && (r as { code?: number }).code === 1) throw notFound();
  }
  try {
    out = (await run("git", ["ls-remote", src.repo, ref, `refs/tags/${ref}^{}`], { timeout: 60_000 })).stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new OperationError(`cannot resolve ${ref} in ${src.repo}: ${(err.stderr || err.message).trim().split("\n").slice(-3).join(" ")}`);
  }
  const lines = out.trim().split("\n").filter(Boolean).map((l) => l.split("\t") as [string, string]);
  // Prefer a peeled tag (the commit), then an exact branch, then anything matching.
  const pick = lines.find(([, n]) => n.endsWith("^{}")) ?? lines.find(([, n]) => n === `refs/heads/${ref}`) ?? lines[0];
  if (!pick) throw notFound();
  return { commit: pick[0], ref };
}

/** A content hash stands in for the commit of a directory source. */
export async function hashDirectory(dir: string): Promise<string> {
  const { stdout } = await run("bash", ["-c", "find . -path ./.git -prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha1sum"], { cwd: dir, maxBuffer: 256 * 1024 * 1024 });
  return createHash("sha1").update(stdout).digest("hex");
}
