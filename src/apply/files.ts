/** The files of a directory to ship, with content hashes: the delta upload's input and a dir source's "commit". */
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
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
      else if (d.isFile()) out.push({ path: r, hash: createHash("sha1").update(readFileSync(abs)).digest("hex"), mode: lstatSync(abs).mode & 0o777 });
    }
  };
  walk("");
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** Paths the file list (TSV) can carry; others are always sent. */
export const SAFE_PATH = /^[^\t\n\0]+$/;
