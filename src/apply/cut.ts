/**
 * `cut`: point the environment's staging branch at a commit of the source repository and push it,
 * creating the branch or fast-forwarding it only. git runs with argv only (never a shell), in the
 * repository itself when it is a local path, else in this machine's mirror (apply/pending.ts).
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { OperationError, UsageError } from "../errors.js";
import { isCommit } from "../plan/host-input.js";
import { cutDecision } from "../plan/cut.js";
import type { RunContext } from "./context.js";
import { sourceRepo } from "./pending.js";
import { resolveSource } from "./source.js";

const run = promisify(execFile);

async function git(args: string[]): Promise<{ ok: boolean; out: string; err: string }> {
  return run("git", args, { timeout: 120_000, maxBuffer: 8 * 1024 * 1024, env: { ...process.env, GIT_TERMINAL_PROMPT: "0" } }).then(
    (r) => ({ ok: true, out: String(r.stdout).trim(), err: String(r.stderr).trim() }),
    (e: { stdout?: string; stderr?: string; message: string }) => ({
      ok: false,
      out: String(e.stdout ?? "").trim(),
      err: String(e.stderr || e.message).trim(),
    }),
  );
}

export interface CutResult {
  branch: string;
  from: string;
  old: string | null;
  commit: string;
  action: "create" | "up-to-date" | "fast-forward";
}

export async function applyCut(ctx: RunContext, opts: { from: string; ref?: string; plan?: boolean }): Promise<CutResult> {
  const src = ctx.env.source;
  if (src.type !== "git") throw new UsageError(`cut: ${ctx.env.name} deploys from a directory; cut needs a git source`);
  const branch = ctx.env.stagingBranch;
  if (!branch) throw new UsageError(`cut: environments.${ctx.env.name}.staging_branch is not set (e.g. staging_branch: staging)`);
  const head = (await resolveSource(src, opts.from)).commit;
  const target = opts.ref ? (await resolveSource(src, opts.ref)).commit : head;
  const remote = await git(["ls-remote", "--end-of-options", src.repo, `refs/heads/${branch}`]);
  if (!remote.ok) throw new OperationError(`cut: cannot read ${branch} in ${src.repo}: ${remote.err.split("\n").slice(-2).join(" ")}`);
  const line = remote.out.split("\n").find((l) => l.endsWith(`\trefs/heads/${branch}`));
  const old = line ? line.split("\t")[0]! : null;
  if (old !== null && !/^[0-9a-f]{40}$/.test(old))
    throw new OperationError(`${src.repo} answered ${JSON.stringify(old.slice(0, 80))} for ${branch}, which is not a commit id`);
  const dir = await sourceRepo(ctx.stateDir, src, [target, head, ...(old ? [old] : [])]);
  if (opts.ref && target !== head) {
    const onFrom = await git(["-C", dir, "merge-base", "--is-ancestor", "--end-of-options", target, head]);
    if (!onFrom.ok)
      throw new OperationError(`cut refused: ${opts.ref} (${target.slice(0, 12)}) is not on ${opts.from} (${head.slice(0, 12)}); cut a commit of ${opts.from}`);
  }
  let decision = cutDecision(branch, old, target, false, null);
  if (old !== null && old !== target) {
    const anc = await git(["-C", dir, "merge-base", "--is-ancestor", "--end-of-options", old, target]);
    const base = anc.ok ? null : await git(["-C", dir, "merge-base", "--end-of-options", old, target]);
    decision = cutDecision(branch, old, target, anc.ok, base?.ok && isCommit(base.out) ? base.out : null);
  }
  if ("refuse" in decision) throw new OperationError(`cut refused: ${decision.refuse}`);
  const result: CutResult = { branch, from: opts.from, old, commit: target, action: decision.action };
  if (opts.plan || decision.action === "up-to-date") return result;
  // The lease makes the push fail if someone moved the branch since it was read (never a forced rewrite).
  const push = await git([
    "-C",
    dir,
    "push",
    "--quiet",
    "--porcelain",
    `--force-with-lease=refs/heads/${branch}:${old ?? ""}`,
    "--end-of-options",
    src.repo,
    `${target}:refs/heads/${branch}`,
  ]);
  if (!push.ok) throw new OperationError(`cut: pushing ${target.slice(0, 12)} to ${branch} in ${src.repo} failed: ${push.err.split("\n").slice(-3).join(" ")}`);
  return result;
}
