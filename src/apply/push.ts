/**
 * `distribute: push`: the control machine sends each host the files of the new commit that differ from the
 * commit its current release was built from (git knows exactly which, without hashing a tree), and the host
 * copies the rest from that release. Hosts need no git and no access to the repository; hosts on the same
 * release share one payload, built once.
 *
 * The host copies (never hard-links) the unchanged files: a build step that appends to a file in place
 * must not change the release that is live. Only files tracked at the new commit are copied, so what an
 * earlier build wrote into its release does not leak into this one.
 */
import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { COMMIT, FILES, META_DIR } from "../config/paths.js";
import type { Host } from "../config/resolve.js";
import { commitOf, type HostState } from "../plan/state.js";
import { tarDir, type Pack, type PayloadSource } from "./artifact.js";
import { localRepo } from "./mirror.js";
import type { RunContext } from "./context.js";
import { SAFE_PATH } from "./files.js";
import { currentDigest } from "../plan/handedits-input.js";
import { READS } from "./preflight/reads.js";

const run = promisify(execFile);
const git = async (repo: string, args: string[]): Promise<Buffer> =>
  (await run("git", ["-C", repo, ...args], { maxBuffer: 256 * 1024 * 1024, encoding: "buffer" })).stdout;

/** One tracked entry of a commit (`git ls-tree -r -z`). */
export interface TreeEntry {
  mode: string;
  blob: string;
  path: string;
}

export function parseTree(out: string): TreeEntry[] {
  return out
    .split("\0")
    .filter(Boolean)
    .flatMap((line) => {
      const m = /^(\d{6}) \w+ ([0-9a-f]{40})\t(.+)$/s.exec(line);
      return m ? [{ mode: m[1]!, blob: m[2]!, path: m[3]! }] : [];
    });
}

/** What a host gets: paths to send (changed since its commit), entries to copy from its release. */
export interface CommitDelta {
  send: string[];
  reuse: TreeEntry[];
}

/** From `git diff --raw -z --no-renames` between the host's commit and the new one, and the new commit's tree. */
export function parseDelta(rawDiff: string, tree: TreeEntry[]): CommitDelta {
  const fields = rawDiff.split("\0");
  const changed = new Set<string>();
  for (let i = 0; i + 1 < fields.length; i += 2) if (!fields[i]!.trim().endsWith(" D")) changed.add(fields[i + 1]!);
  const files = tree.filter((e) => e.mode !== "160000");
  // A path the tar list cannot carry safely is sent rather than copied.
  const copy = (e: TreeEntry) => !changed.has(e.path) && SAFE_PATH.test(e.path);
  return { send: files.filter((e) => !copy(e)).map((e) => e.path), reuse: files.filter(copy) };
}

/** sha256 of each blob's content, read in one `git cat-file --batch`. */
async function blobSums(repo: string, blobs: string[]): Promise<Map<string, string>> {
  const sums = new Map<string, string>();
  if (!blobs.length) return sums;
  const out: Buffer = await new Promise((resolve, reject) => {
    const p = spawn("git", ["-C", repo, "cat-file", "--batch"], { stdio: ["pipe", "pipe", "ignore"] });
    const chunks: Buffer[] = [];
    p.stdout.on("data", (c: Buffer) => chunks.push(c));
    p.on("error", reject);
    p.on("close", (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`git cat-file failed (${code})`))));
    p.stdin.end(blobs.join("\n") + "\n");
  });
  let at = 0;
  while (at < out.length) {
    const nl = out.indexOf(10, at);
    const [sha, , size] = out.subarray(at, nl).toString().split(" ");
    const n = Number(size);
    sums.set(
      sha!,
      createHash("sha256")
        .update(out.subarray(nl + 1, nl + 1 + n))
        .digest("hex"),
    );
    at = nl + 1 + n + 1;
  }
  return sums;
}

const isRegular = (e: TreeEntry) => e.mode === "100644" || e.mode === "100755";

/**
 * A tar of the files to send at `commit` (the whole tree when `delta` is null), the reuse list and
 * the checksums the host checks its copies against; files in `proven` are left out of the checks
 * (the host's own digest of them, read under the lock, already equals the commit's).
 */
async function packOf(repo: string, commit: string, tree: TreeEntry[], delta: CommitDelta | null, proven = new Set<string>()): Promise<Pack> {
  const st = mkdtempSync(path.join(os.tmpdir(), "slipway-push-"));
  try {
    // Literal pathspecs: a file name is never a glob or an option to git.
    const paths = delta ? delta.send.map((f) => `:(literal)${f}`) : [];
    if (!delta || paths.length) await extract(repo, commit, paths, st);
    const reuse = delta?.reuse ?? [];
    // Regular files only: sha256sum would follow a symlink to whatever it points at.
    const summed = reuse.filter((e) => isRegular(e) && !proven.has(e.path));
    const sums = await blobSums(repo, [...new Set(summed.map((e) => e.blob))]);
    mkdirSync(path.join(st, META_DIR), { recursive: true });
    writeFileSync(path.join(st, META_DIR, FILES.reuseList), reuse.map((e) => `./${e.path}\0`).join(""));
    writeFileSync(path.join(st, META_DIR, FILES.reuseSums), summed.map((e) => `${sums.get(e.blob)}  ./${e.path}\n`).join(""));
    return { tar: await tarDir(st), send: delta ? delta.send.length : tree.length, reuse: reuse.length, reusePaths: new Set(reuse.map((e) => e.path)) };
  } finally {
    rmSync(st, { recursive: true, force: true });
  }
}

function extract(repo: string, commit: string, paths: string[], into: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const a = spawn("git", ["-C", repo, "archive", "--format=tar", commit, "--", ...paths], { stdio: ["ignore", "pipe", "pipe"] });
    const t = spawn("tar", ["-x", "-f", "-", "-C", into], { stdio: ["pipe", "ignore", "pipe"] });
    let err = "";
    a.stderr.on("data", (c: Buffer) => (err += c));
    t.stderr.on("data", (c: Buffer) => (err += c));
    a.stdout.pipe(t.stdin);
    let left = 2;
    const done = (code: number | null) => {
      if (code !== 0) return reject(new Error(`git archive of ${commit.slice(0, 12)} failed: ${err.trim().split("\n").slice(-3).join(" ")}`));
      if (--left === 0) resolve();
    };
    a.on("close", done);
    t.on("close", done);
    a.on("error", reject);
    t.on("error", reject);
  });
}

/** What `commit` costs each host: one payload per distinct current commit, built once. */
export async function pushPayloads(ctx: RunContext, commit: string, states: Record<string, HostState>): Promise<PayloadSource> {
  const repo = await localRepo(ctx, commit);
  const tree = parseTree((await git(repo, ["ls-tree", "-r", "-z", commit])).toString());
  const packs = new Map<string, Promise<Pack>>();
  const full = () => {
    let p = packs.get("");
    if (!p) packs.set("", (p = packOf(repo, commit, tree, null)));
    return p;
  };
  const deltas = new Map<string, Promise<{ delta: CommitDelta; sums: Map<string, string> } | null>>();
  const deltaFrom = (base: string) => {
    let d = deltas.get(base);
    if (!d) {
      d = (async () => {
        // A base this repository does not have (a rewritten branch) costs a full payload, not a failure.
        const diff = await git(repo, ["diff", "--raw", "-z", "--no-renames", "--no-abbrev", base, commit, "--"]).catch(() => null);
        if (!diff) return null;
        const delta = parseDelta(diff.toString(), tree);
        return { delta, sums: await blobSums(repo, [...new Set(delta.reuse.filter(isRegular).map((e) => e.blob))]) };
      })();
      deltas.set(base, d);
    }
    return d;
  };
  const packFor = async (h: Host, prev: string | null): Promise<Pack> => {
    // The commit the host's current release was built from (its manifest's, checked as a commit id).
    const base = commitOf(states[h.name], prev);
    if (!base || !COMMIT.test(base)) return full();
    const d = await deltaFrom(base);
    if (!d) return full();
    const { send, reuse, proven } = proveReuse(d.delta, d.sums, states[h.name]);
    const key = [base, ...send.slice(d.delta.send.length), "\0", ...proven].join("\n");
    let pack = packs.get(key);
    if (!pack) packs.set(key, (pack = packOf(repo, commit, tree, { send, reuse }, proven)));
    const drifted = send.length - d.delta.send.length;
    return drifted ? { ...(await pack), drifted } : pack;
  };
  // Files to send again: the named ones (no reuse list), or the whole tree when none could be named.
  const resend = (paths: string[]) => (paths.length ? packOf(repo, commit, tree, { send: paths, reuse: [] }) : full());
  return { packFor, resend };
}

/**
 * What the state read already proves about the files a host would copy: the hand-edits gate hashed
 * its current release under the lock. A copy whose hash there equals the commit's needs no check on
 * the host (one hashing pass fewer per host); one that differs (edited, or rewritten by the last
 * build) is sent instead of copied and checked. Files that read did not cover are checked as before.
 */
export function proveReuse(delta: CommitDelta, sums: Map<string, string>, state: HostState | undefined): CommitDelta & { proven: Set<string> } {
  const read = state?.extras?.[READS.handEdits];
  const now = read === undefined ? null : currentDigest(read);
  const proven = new Set<string>();
  if (!now) return { ...delta, proven };
  const drifted: string[] = [];
  for (const e of delta.reuse) {
    if (!isRegular(e) || !now.has(e.path)) continue;
    if (now.get(e.path) === sums.get(e.blob)) proven.add(e.path);
    else drifted.push(e.path);
  }
  const resent = new Set(drifted);
  return { send: [...delta.send, ...drifted.sort()], reuse: delta.reuse.filter((e) => !resent.has(e.path)), proven };
}
