/**
 * Upload distribution (`source: dir`, and `distribute: artifact` for git): the release is built
 * from files sent by the control machine, and only files that changed since the host's current
 * release travel; unchanged ones are copied on the host from that release.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough, type Readable } from "node:stream";
import { FILES, META_DIR, pathsFor, type Paths } from "../config/paths.js";
import type { Host } from "../config/resolve.js";
import { shPath } from "../commands/quote.js";
import { CommandError, OperationError } from "../errors.js";
import type { ExecutorPool, RunContext } from "./context.js";
import { listFiles, SAFE_PATH, type FileEntry } from "./files.js";
import { localCommandEnv } from "../exec/local.js";
import { mergeEnv } from "../config/env.js";
import { localRepo } from "./mirror.js";

export { listFiles, type FileEntry };

export function filesTsv(entries: FileEntry[]): string {
  return entries.map((e) => `${e.hash}\t${e.mode.toString(8)}\t${e.path}`).join("\n") + "\n";
}

/** Read a release's file list (empty when it has none); parsed by parseFilesTsv. */
export function readFilesTsv(p: Paths, id: string): string {
  return `cat ${shPath(p.releaseMeta(id))}/${FILES.fileList} 2>/dev/null || true`;
}

export function parseFilesTsv(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split("\n")) {
    const [hash, mode, ...rest] = line.split("\t");
    if (hash && mode && rest.length) m.set(rest.join("\t"), `${hash}:${mode}`);
  }
  return m;
}

/** Split into files to send and files the host can copy from its previous release. */
export function diffFiles(entries: FileEntry[], previous: Map<string, string>): { send: FileEntry[]; reuse: FileEntry[] } {
  const send: FileEntry[] = [];
  const reuse: FileEntry[] = [];
  for (const e of entries) {
    if (SAFE_PATH.test(e.path) && previous.get(e.path) === `${e.hash}:${e.mode.toString(8)}` && !e.hash.startsWith("link:")) reuse.push(e);
    else send.push(e);
  }
  return { send, reuse };
}

/**
 * The tar a host receives: `.slipway/files.tsv` and `.slipway/reuse.list` from a small staging
 * directory, then the files to send read straight from `dir` (one tar process, no copy of them).
 * Up to STREAM_ABOVE bytes it is built once in memory and shared by every host on the same release;
 * beyond that each host gets its own tar process streamed with back-pressure, so a 1 GB artifact
 * never sits in the CLI's memory (each stream reads the files from the page cache).
 */
function packTar(dir: string, entries: FileEntry[], send: FileEntry[], reuse: FileEntry[]): { tar: Promise<Buffer> | (() => Readable); cleanup: () => void } {
  const st = mkdtempSync(path.join(os.tmpdir(), "slipway-upload-"));
  // The staging directory's .slipway becomes the release's: the same names as Paths.releaseFiles/releaseReuse.
  mkdirSync(path.join(st, META_DIR), { recursive: true });
  writeFileSync(path.join(st, META_DIR, FILES.fileList), filesTsv(entries.filter((e) => SAFE_PATH.test(e.path))));
  writeFileSync(path.join(st, META_DIR, FILES.reuseList), reuse.map((e) => `./${e.path}\0`).join(""));
  const list = path.join(st, "send.list");
  writeFileSync(list, send.map((e) => `./${e.path}\0`).join(""));
  // -C applies to the names read from -T after it; --no-recursion: the list names files and links only.
  const args = ["-c", "-f", "-", "-C", st, `./${META_DIR}`, "-C", dir, "--no-recursion", "--null", "-T", list];
  const cleanup = () => rmSync(st, { recursive: true, force: true });
  const bytes = send.reduce((n, e) => n + (e.hash.startsWith("link:") ? 0 : statSync(path.join(dir, e.path)).size), 0);
  if (bytes > STREAM_ABOVE) return { tar: () => tarStream(args), cleanup };
  return { tar: collectTar(args).finally(cleanup), cleanup };
}

/** Packs bigger than this stream from a tar process per host instead of one shared buffer. */
export const STREAM_ABOVE = Number(process.env.SLIPWAY_STREAM_ABOVE ?? 64 * 1024 * 1024);

function tarStream(args: string[]): Readable {
  const t = spawn("tar", args, { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  t.stderr.on("data", (c: Buffer) => (err += c));
  // A tar that fails half-way must fail the upload, not end it short: the stream errors instead of ending.
  const out = new PassThrough();
  t.stdout.pipe(out, { end: false });
  t.on("error", (e) => out.destroy(e));
  t.on("close", (code) => (code === 0 ? out.end() : out.destroy(new Error(`tar failed: ${err.trim()}`))));
  // A reader that stops early (the host's script failed first) must not leave tar blocked on a full pipe.
  out.on("close", () => t.exitCode === null && t.kill());
  return out;
}

function collectTar(args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const t = spawn("tar", args, { stdio: ["ignore", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    let err = "";
    t.stdout.on("data", (c: Buffer) => chunks.push(c));
    t.stderr.on("data", (c: Buffer) => (err += c));
    t.on("error", reject);
    t.on("close", (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`tar failed: ${err.trim()}`))));
  });
}

/** Export the commit and run artifact_build on the control machine; returns the directory to ship. */
export async function buildArtifact(ctx: RunContext, commit: string): Promise<{ root: string; dir: string }> {
  const src = ctx.env.source;
  if (src.type !== "git") throw new OperationError("artifact builds need a git source");
  const out = mkdtempSync(path.join(os.tmpdir(), "slipway-artifact-"));
  const repo = await localRepo(ctx, commit);
  execFileSync("bash", ["-c", `git -C ${shPath(repo)} archive ${shPath(commit)} | tar -x -f - -C ${shPath(out)}`], { stdio: "pipe" });
  for (const c of src.artifactBuild) {
    ctx.bus.info(`artifact build: ${c}`);
    try {
      execFileSync("bash", ["-c", c], { cwd: out, stdio: "pipe", env: { ...localCommandEnv(), ...mergeEnv(ctx.env, undefined, { SLIPWAY_COMMIT: commit }) } });
    } catch (e) {
      const err = e as { status?: number; stderr?: Buffer };
      throw new CommandError(
        "local",
        "fetch",
        c,
        err.status ?? null,
        String(err.stderr ?? "")
          .trim()
          .split("\n")
          .slice(-10)
          .join("\n"),
      );
    }
  }
  return { root: out, dir: path.resolve(out, src.artifactPath) };
}

export function tarDir(dir: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const t = spawn("tar", ["-C", dir, "-cf", "-", "."], { stdio: ["ignore", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    let err = "";
    t.stdout.on("data", (c: Buffer) => chunks.push(c));
    t.stderr.on("data", (c: Buffer) => (err += c));
    t.on("error", reject);
    t.on("close", (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`tar failed: ${err.trim()}`))));
  });
}

/**
 * What each host gets: only what differs from its current release. Hosts on the same current release
 * get the same tarball, built once; its file list is read from one of them.
 */
export function uploadDelta(ctx: RunContext, pool: ExecutorPool, dir: string, listed?: FileEntry[]): PayloadSource {
  const entries = listed ?? listFiles(dir);
  const packs = new Map<string, Promise<Pack>>();
  const cleanups: (() => void)[] = [];
  const packFor = (h: Host, prev: string | null): Promise<Pack> => {
    const key = prev ?? "";
    let pack = packs.get(key);
    if (!pack) {
      pack = (async () => {
        let previous = new Map<string, string>();
        if (prev) {
          // An unreadable list only costs a full upload.
          const r = await (await pool.get(h)).exec(readFilesTsv(pathsFor(h.deployTo), prev), { signal: ctx.signal }).catch(() => null);
          if (r) previous = parseFilesTsv(r.stdout);
        }
        const { send, reuse } = diffFiles(entries, previous);
        const built = packTar(dir, entries, send, reuse);
        cleanups.push(built.cleanup);
        return { tar: typeof built.tar === "function" ? built.tar : await built.tar, send: send.length, reuse: reuse.length };
      })();
      packs.set(key, pack);
    }
    return pack;
  };
  return {
    packFor,
    dispose: () => {
      for (const c of cleanups) c();
    },
  };
}

/** A payload for one host: a tarball for receiveDelta, and how many files it sends and has the host reuse. */
export interface Pack {
  /** The bytes, or (big packs) a fresh stream of them for each reader. */
  tar: Buffer | (() => Readable);
  send: number;
  reuse: number;
  /** Files of the host's release that differ from the commit (its state read showed it): sent instead of copied. */
  drifted?: number;
  /** The paths the host is asked to copy from its release (distribute: push). */
  reusePaths?: Set<string>;
}

/** Where a deploy's upload comes from: each host's pack, and (distribute: push) a pack of files to send again. */
export interface PayloadSource {
  packFor: (h: Host, prev: string | null) => Promise<Pack>;
  /** When copied files do not match the commit (REUSE_MISMATCH): a pack of just those files (none named: all). */
  resend?: (paths: string[]) => Promise<Pack>;
  /** Remove what was built for the upload (an artifact's directory). */
  dispose?: () => void;
}
