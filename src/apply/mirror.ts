/**
 * The control machine's own copy of a git source, for the distributions that build the release
 * here (`push`, `artifact`). A deploy starts the fetch as soon as it knows the commit, so it runs
 * while the hosts are locked and read, and the upload stage finds the commit already there.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { OperationError } from "../errors.js";
import type { RunContext } from "./context.js";

const run = promisify(execFile);

/** One fetch per repository and commit in this process, however many stages ask. */
const pending = new Map<string, Promise<string>>();

/** Where the mirror of a remote repository lives in the control machine's cache. */
export function mirrorPath(cacheDir: string, repo: string): string {
  return path.join(cacheDir, `${createHash("sha1").update(repo).digest("hex").slice(0, 16)}.git`);
}

/**
 * The repository on this machine that has `commit`: a local path as it is, a remote one as a mirror
 * in the cache (fetched only when the commit is not there yet).
 */
export function localRepo(ctx: RunContext, commit: string): Promise<string> {
  const src = ctx.env.source;
  if (src.type !== "git") return Promise.reject(new OperationError("needs a git source"));
  if (!/:/.test(src.repo)) return Promise.resolve(src.repo);
  const key = `${src.repo}\0${commit}`;
  let p = pending.get(key);
  if (!p) {
    p = fetchInto(mirrorPath(path.join(ctx.stateDir, "cache"), src.repo), src.repo, commit);
    pending.set(key, p);
    // A failed fetch is retried by the next caller rather than remembered.
    p.catch(() => pending.delete(key));
  }
  return p;
}

/** Start the fetch now, for a later localRepo to find done; its failure is reported there. */
export function prefetchMirror(ctx: RunContext, commit: string): void {
  const src = ctx.env.source;
  if (src.type === "git" && src.distribute !== "git") localRepo(ctx, commit).catch(() => {});
}

async function fetchInto(repo: string, url: string, commit: string): Promise<string> {
  mkdirSync(path.dirname(repo), { recursive: true });
  const has = await run("git", ["-C", repo, "cat-file", "-e", `${commit}^{commit}`]).then(
    () => true,
    () => false,
  );
  if (has) return repo;
  try {
    // Whether the mirror exists is asked of the file system, not git: git would answer for an enclosing repository.
    if (existsSync(repo)) await run("git", ["-C", repo, "fetch", "-q", "--prune", "origin", "+refs/*:refs/*"], { timeout: 600_000 });
    else await run("git", ["clone", "-q", "--mirror", "--", url, repo], { timeout: 600_000 });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new OperationError(`cannot fetch ${commit.slice(0, 12)} from ${url}: ${(err.stderr || err.message).trim().split("\n").slice(-3).join(" ")}`);
  }
  return repo;
}
