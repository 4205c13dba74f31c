/**
 * A "typical" app for the peer benchmark (issue 13): ~2 MB in 200 files, 160 text files in nested
 * directories and 40 incompressible binaries (images, fonts), generated from a seeded PRNG so every
 * run and every tool deploys byte-identical trees. `commitRealisticChange` rewrites 4 files (~45 KB:
 * 3 text files and 1 binary) per commit, the shape of an ordinary code change plus an asset.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Repo } from "../helpers.js";

export const TEXT_FILES = 160;
export const BINARY_FILES = 40;
const TEXT_CHANGE_BYTES = 8 * 1024;
const BINARY_CHANGE_BYTES = 21 * 1024;

/** mulberry32: tiny, fast, and the same sequence on every machine for a given seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = "account order user invoice render fetch cache queue token session price total item cart report export import schedule retry notify".split(" ");
const TEXT_DIRS = [
  "app/models",
  "app/controllers",
  "app/controllers/admin",
  "app/services",
  "app/views/orders",
  "app/views/users",
  "app/views/layouts",
  "lib/billing",
  "lib/reports/export",
  "config/locales",
  "db/migrate",
  "public/js",
  "public/css",
  "spec/models",
  "spec/requests",
  "docs",
];
const TEXT_EXT = [".rb", ".js", ".css", ".yml", ".md", ".erb", ".sql", ".json"];
const BIN_DIRS = ["public/images", "public/images/icons", "public/fonts", "vendor/assets"];
const BIN_EXT = [".png", ".jpg", ".woff2", ".bin"];

/** Source-like lines: compressible like real code, but different per seed. */
function text(rand: () => number, bytes: number, label: string): string {
  const w = () => WORDS[Math.floor(rand() * WORDS.length)]!;
  let out = `// ${label}\n`;
  while (out.length < bytes) {
    const n = Math.floor(rand() * 1000);
    out += `function ${w()}_${w()}(${w()}, ${w()}) {\n  return ${w()}.${w()}(${n}, "${w()} ${w()}");\n}\n`;
  }
  return out.slice(0, bytes);
}

/** Random bytes: gzip and git's zlib cannot shrink them, like already-compressed assets. */
function binary(rand: () => number, bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

/** Paths of the generated app, text files first (the order change picks from). */
export function realisticPaths(): { text: string[]; binary: string[] } {
  const rand = prng(1);
  const textPaths = Array.from({ length: TEXT_FILES }, (_, i) => {
    const dir = TEXT_DIRS[i % TEXT_DIRS.length]!;
    return `${dir}/${WORDS[Math.floor(rand() * WORDS.length)]}_${i}${TEXT_EXT[i % TEXT_EXT.length]}`;
  });
  const binPaths = Array.from({ length: BINARY_FILES }, (_, i) => `${BIN_DIRS[i % BIN_DIRS.length]}/asset_${i}${BIN_EXT[i % BIN_EXT.length]}`);
  return { text: textPaths, binary: binPaths };
}

/** The whole app (~2 MB): text files of 1.5-10.5 KB, binaries of 8-44 KB. */
export function realisticApp(): Map<string, string | Buffer> {
  const { text: textPaths, binary: binPaths } = realisticPaths();
  const rand = prng(2);
  const files = new Map<string, string | Buffer>();
  for (const p of textPaths) files.set(p, text(rand, 1536 + Math.floor(rand() * 9216), p));
  for (const p of binPaths) files.set(p, binary(rand, 8192 + Math.floor(rand() * 36864)));
  return files;
}

function write(repo: Repo, files: Map<string, string | Buffer>): void {
  for (const [f, body] of files) {
    mkdirSync(path.dirname(path.join(repo.dir, f)), { recursive: true });
    writeFileSync(path.join(repo.dir, f), body);
  }
}

function commit(repo: Repo, message: string): string {
  repo.git("add", "-A");
  repo.git("commit", "-q", "-m", message);
  return repo.git("rev-parse", "HEAD");
}

/** Write the whole app into the repo and commit it; returns the commit. */
export function commitRealisticApp(repo: Repo): string {
  write(repo, realisticApp());
  return commit(repo, "realistic app v0");
}

/** Commit change number `n` (1, 2, ...): 3 text files and 1 binary rewritten, ~45 KB; returns the commit. */
export function commitRealisticChange(repo: Repo, n: number): string {
  const { text: textPaths, binary: binPaths } = realisticPaths();
  const rand = prng(1000 + n);
  const files = new Map<string, string | Buffer>();
  while (files.size < 3) {
    const p = textPaths[Math.floor(rand() * textPaths.length)]!;
    files.set(p, text(rand, TEXT_CHANGE_BYTES, `${p} change ${n}`));
  }
  files.set(binPaths[Math.floor(rand() * binPaths.length)]!, binary(rand, BINARY_CHANGE_BYTES));
  write(repo, files);
  return commit(repo, `realistic change ${n}`);
}
