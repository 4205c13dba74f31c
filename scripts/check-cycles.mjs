#!/usr/bin/env node
// Import cycles make load order matter and blur which folder depends on which: this lists every
// cycle among src/ files (runtime imports only; `import type` is erased) and exits 1 if any.
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..", "src");
const files = [];
const walk = (d) => {
  for (const n of readdirSync(d)) {
    const f = path.join(d, n);
    if (statSync(f).isDirectory()) walk(f);
    else if (n.endsWith(".ts")) files.push(f);
  }
};
walk(root);

const edges = new Map();
const re = /^(?:import|export)\s+(?!type\b)(?:[^"';]*?\sfrom\s+)?["'](\.[^"']+)["']/gm;
for (const f of files) {
  const text = readFileSync(f, "utf8");
  const deps = new Set();
  for (const m of text.matchAll(re)) {
    // `import { type A, type B }` with only types is erased too.
    if (/^import\s*\{\s*(?:type\s+\w+\s*,?\s*)+\}/.test(m[0])) continue;
    deps.add(path.resolve(path.dirname(f), m[1].replace(/\.js$/, ".ts")));
  }
  edges.set(
    f,
    [...deps].filter((d) => edges.has(d) || files.includes(d)),
  );
}

const cycles = [];
const state = new Map();
const stack = [];
const visit = (f) => {
  state.set(f, 1);
  stack.push(f);
  for (const d of edges.get(f) ?? []) {
    if (state.get(d) === 1) cycles.push([...stack.slice(stack.indexOf(d)), d].map((x) => path.relative(root, x)).join(" → "));
    else if (!state.get(d)) visit(d);
  }
  stack.pop();
  state.set(f, 2);
};
for (const f of files) if (!state.get(f)) visit(f);
if (cycles.length) {
  console.error(`import cycles in src/ (${cycles.length}):\n${cycles.map((c) => `  ${c}`).join("\n")}`);
  process.exit(1);
}
console.log(`no import cycles among ${files.length} files in src/`);
