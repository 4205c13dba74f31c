/** The files of a directory to ship, with content hashes: the delta upload's input and a dir source's "commit". */
import { createHash } from "node:crypto";
import { closeSync, lstatSync, openSync, readdirSync, readSync, readlinkSync } from "node:fs";
import path from "node:path";

export interface FileEntry {
  path: string;
  /** content hash, or `link:<target>` for symlinks */
  hash: string;
  mode: number;
}

/** Every file and symlink under `dir` (not .git), sorted, with content hashes. */
export function listFiles(dir: string): FileEntry[] {
  const out: FileEntry[] = [];
  const walk = (rel: string) => {
    for (const d of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (!rel && (d.name === ".git" || d.name === ".slipway")) continue;
      const abs = path.join(dir, r);
      if (d.isSymbolicLink()) out.push({ path: r, hash: `link:${readlinkSync(abs)}`, mode: 0o777 });
      else if (d.isDirectory()) walk(r);
      else if (d.isFile()) out.push({ path: r, hash: sha1File(abs), mode: lstatSync(abs).mode & 0o777 });
    }
  };
  walk("");
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** Paths the file list (TSV) can carry; others are always sent. */
export const SAFE_PATH = /^[^\t\n\0]+$/;

/** A file's sha1, read 1 MiB at a time: a 1 GB artifact file must not be held in memory to be hashed. */
function sha1File(abs: string): string {
  const h = createHash("sha1");
  const buf = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(abs, "r");
  try {
    for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) h.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return h.digest("hex");
}
