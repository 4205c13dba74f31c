/**
 * `npm run bundle` (part of `npm run build`): the published CLI as one ESM entry plus lazy chunks.
 *
 * Why bundle: tsc's dist is ~300 small modules (and zod alone is ~100 more), and on Node 20 each
 * one costs a resolve, a stat, a read and a compile; `--help` needs 7 of them but a deploy loads
 * ~260. One entry file with code splitting keeps `--help` to the entry alone and gives every lazily
 * imported verb (src/cli/registry.ts) its own chunk, so the deploy path reads a handful of files.
 *
 * What stays outside the bundle, and why:
 * - better-sqlite3: a native addon (.node file found through `bindings` at run time); it cannot be
 *   inlined and is loaded lazily by src/store/sqlite.ts's importers.
 * - ssh2: pure JS but it `require`s its optional native crypto binding and cpu-features by
 *   relative path inside try/catch; inlined, those paths would point into dist/bundle and silently
 *   fall back to slower crypto. It is imported only on the ssh path.
 * - nodemailer: only the mail notifier uses it, through a dynamic import; kept as the package so the
 *   bundle does not carry ~40 of its modules for the few configs that send mail.
 * - pg: pure JS, but it `require`s the optional `pg-native` behind a getter, which esbuild cannot
 *   resolve; kept as the package, imported only by src/store/postgres.ts when `state: postgres`.
 * Everything else (commander, zod, yaml, croner, picomatch, ssh-config, fastify) is plain JS and inlined.
 * Fastify has no native or optional requires esbuild cannot follow, and only `serve` imports it
 * (lazily), so it lands in that verb's chunk: --help never reads it (test/e2e/bundle.test.ts).
 */
import { build } from "esbuild";
import { rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OUT = path.join(ROOT, "dist/bundle");

rmSync(OUT, { recursive: true, force: true });
const result = await build({
  absWorkingDir: ROOT,
  entryPoints: { slipway: "src/cli/main.ts" },
  outdir: OUT,
  outExtension: { ".js": ".mjs" },
  // Chunks sit next to the entry, so code that finds the package from import.meta.url (src/package-root.ts)
  // sees the same depth from every chunk.
  chunkNames: "[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external: ["better-sqlite3", "ssh2", "nodemailer", "pg"],
  // CommonJS packages inlined into ESM (commander, yaml) call require() for Node built-ins; ESM has no
  // require, so each output file gets one from createRequire (under a name that cannot clash).
  banner: { js: 'import { createRequire as __slipwayRequire } from "node:module"; const require = __slipwayRequire(import.meta.url);' },
  // Source maps let a --verbose stack trace name src/ files (node --enable-source-maps); not loaded otherwise.
  sourcemap: "linked",
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
});

const outputs = Object.entries(result.metafile.outputs).filter(([f]) => f.endsWith(".mjs"));
const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
const entry = outputs.find(([, o]) => o.entryPoint)?.[1];
console.log(
  `bundle: dist/bundle/slipway.mjs (${kib(entry?.bytes ?? 0)}) + ${outputs.length - 1} chunks (${kib(outputs.reduce((s, [, o]) => s + o.bytes, 0))} in all)`,
);
