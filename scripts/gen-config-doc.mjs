#!/usr/bin/env node
// Generates docs/config.md from the schema (the schema is the documentation) and docs/presets.md
// from the preset definitions. Run: npm run docs
// `--check` exits 1 when a committed file is stale (used by the test suite).
import { readFileSync, writeFileSync } from "node:fs";
import { renderConfigDoc } from "../dist/config/doc.js";
import { renderPresetsDoc } from "../dist/config/presets/doc.js";

const docs = [
  ["config.md", renderConfigDoc()],
  ["presets.md", renderPresetsDoc()],
];
let stale = false;
for (const [name, text] of docs) {
  const file = new URL(`../docs/${name}`, import.meta.url);
  if (process.argv.includes("--check")) {
    let current = "";
    try {
      current = readFileSync(file, "utf8");
    } catch {}
    if (current !== text) {
      console.error(`docs/${name} is stale: run npm run docs`);
      stale = true;
    }
  } else {
    writeFileSync(file, text);
    console.log(`wrote docs/${name}`);
  }
}
if (stale) process.exit(1);
