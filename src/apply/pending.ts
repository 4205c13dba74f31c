/**
 * Pending commits, read with git on the control machine: a local repository is asked directly, a
 * remote one is fetched into a bare cache under the state dir. Hosts are only read for `current`.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import type { Source } from "../config/resolve.js";
import { isCommit } from "../plan/host-input.js";
import { COMMIT_LIMIT, LOG_FORMAT, parseLog, parseNumstat, pendingState, type Pending } from "../plan/pending.js";
import type { HostState } from "../plan/state.js";
import { privateDir } from "../store/private.js";
import type { RunContext } from "./context.js";
import { gatherStates } from "./gather.js";
import { resolveSource } from "./source.js";

const run = promisify(execFile);

/** git's empty tree: the diff base when nothing is deployed yet. */
const EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

/** One git command, argv only (never a shell); no credential prompt can hang a read-only verb. */
async function git(dir: string, args: string[]): Promise<string> {
  const r = await run("git", ["-C", dir, ...args], {
    timeout: 60_000,
    maxBuffer: 32 * 1024 * 1024,
    env: { ...process.env, GIT_TERMINAL_PROMPT: "0" },
  });
  return String(r.stdout);
}

const gitError = (e: unknown) => {
  const err = e as { stderr?: string; message: string };
  return (err.stderr || err.message).trim().split("\n").slice(-2).join(" ");
};

async function hasCommit(dir: string, commit: string): Promise<boolean> {
  return git(dir, ["cat-file", "-e", "--end-of-options", `${commit}^{commit}`]).then(
    () => true,
    () => false,
  );
}

/** The repository git can answer from, holding `commits` if the source has them; fetched only when one is missing. */
export async function sourceRepo(stateDir: string, src: Extract<Source, { type: "git" }>, commits: string[]): Promise<string> {
  if (!/:/.test(src.repo)) return src.repo;
  const cache = path.join(stateDir, "cache", `pending-${createHash("sha1").update(src.repo).digest("hex").slice(0, 16)}.git`);
  if (!existsSync(cache)) {
    privateDir(path.dirname(cache));
    await run("git", ["init", "--bare", "--quiet", "--end-of-options", cache]);
  }
  const missing = [];
  for (const c of commits) if (!(await hasCommit(cache, c))) missing.push(c);
  if (!missing.length) return cache;
  // Branches and tags, so a current commit that is on some other branch is found too.
  await git(cache, ["fetch", "--quiet", "--prune", "--no-tags", "--end-of-options", src.repo, "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"]);
  // A commit no branch or tag points at (a full sha given as --ref): asked for by id.
  for (const c of missing) if (!(await hasCommit(cache, c))) await git(cache, ["fetch", "--quiet", "--end-of-options", src.repo, c]).catch(() => {});
  return cache;
}

/** The pending commits between `from` (what runs) and `to` (what the ref resolves to), read in `dir`. */
export async function readPending(dir: string, ref: string, from: string | null, to: string): Promise<Pending> {
  const base: Pending = { state: "unknown", ref, from, to, commits: [], count: 0, files: [] };
  if (!(await hasCommit(dir, to))) return { ...base, reason: `${to.slice(0, 12)} is not in the repository` };
  if (from !== null && !(await hasCommit(dir, from)))
    return { ...base, reason: `the running commit ${from.slice(0, 12)} is not in the repository (history rewritten?)` };
  const isAncestor =
    from === null ||
    (await git(dir, ["merge-base", "--is-ancestor", "--end-of-options", from, to]).then(
      () => true,
      () => false,
    ));
  const state = pendingState(from, to, isAncestor);
  if (state === "up-to-date") return { ...base, state };
  const range = from === null ? [to] : [to, `^${from}`];
  const [count, log, numstat] = await Promise.all([
    git(dir, ["rev-list", "--count", "--end-of-options", ...range]),
    git(dir, ["log", `--format=${LOG_FORMAT}`, `--max-count=${COMMIT_LIMIT}`, "--end-of-options", ...range]),
    git(dir, ["diff", "--numstat", "--end-of-options", from ?? EMPTY_TREE, to]),
  ]);
  const out: Pending = { ...base, state, count: Number(count.trim()) || 0, commits: parseLog(log), files: parseNumstat(numstat) };
  if (state === "not-ancestor" && from !== null)
    out.dropped = Number((await git(dir, ["rev-list", "--count", "--end-of-options", from, `^${to}`])).trim()) || 0;
  return out;
}

/** The subject of a commit, or null when git cannot tell. */
export async function commitSubject(dir: string, commit: string): Promise<string | null> {
  return git(dir, ["log", "-1", "--format=%s", "--end-of-options", commit]).then(
    (s) => s.trim() || null,
    () => null,
  );
}

/** What the primary runs: its current release's commit from the manifest; `problem` when it runs something unreadable. */
export function runningCommit(state: HostState | undefined): { commit: string | null; problem?: string } {
  if (!state) return { commit: null, problem: "the primary could not be read" };
  if (state.badCurrent !== undefined) return { commit: null, problem: "the primary's current is not a release" };
  if (!state.current) return { commit: null };
  const m = state.releases.find((r) => r.id === state.current)?.manifest;
  return m && isCommit(m.commit) ? { commit: m.commit } : { commit: null, problem: `the running release ${state.current} has no readable manifest` };
}

/** Pending plus the running commit's subject; a git failure becomes `unknown`, never an error (status must still show). */
export async function pendingFor(
  ctx: RunContext,
  running: { commit: string | null; problem?: string },
  refOverride?: string,
  resolved?: { commit: string; ref: string },
): Promise<{ pending: Pending; subject: string | null }> {
  const src = ctx.env.source;
  const ref = resolved?.ref ?? refOverride ?? (src.type === "git" ? src.ref : "dir");
  const from = running.commit;
  // Unknown is not "nothing deployed": all history would be listed as pending.
  if (running.problem && src.type === "git")
    return { pending: { state: "unknown", ref, from, to: resolved?.commit ?? null, commits: [], count: 0, files: [], reason: running.problem }, subject: null };
  if (src.type === "dir")
    return { pending: { state: "dir", ref: "dir", from, to: null, commits: [], count: 0, files: [], reason: "a directory source" }, subject: null };
  try {
    const target = resolved ?? (await resolveSource(src, refOverride));
    const dir = await sourceRepo(ctx.stateDir, src, from ? [target.commit, from] : [target.commit]);
    const [pending, subject] = await Promise.all([readPending(dir, target.ref, from, target.commit), from ? commitSubject(dir, from) : null]);
    return { pending, subject };
  } catch (e) {
    return { pending: { state: "unknown", ref, from, to: null, commits: [], count: 0, files: [], reason: gitError(e) }, subject: null };
  }
}

/** `pending` on its own: resolve the ref (a bad ref is the caller's error), read the primary's current, then ask git. */
export async function pendingFromPrimary(ctx: RunContext, refOverride?: string, resolved?: { commit: string; ref: string }): Promise<Pending> {
  const src = ctx.env.source;
  const target = resolved ?? (src.type === "git" ? await resolveSource(src, refOverride) : undefined);
  const states = await gatherStates(ctx, ctx.pool, [ctx.env.primary]);
  return (await pendingFor(ctx, runningCommit(states[ctx.env.primary.name]), refOverride, target)).pending;
}
