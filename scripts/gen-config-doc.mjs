#!/usr/bin/env node
// Generates docs/config.md from the schema (the schema is the documentation). Run: npm run docs
// `--check` exits 1 when the committed file is stale (used by the test suite).
import { readFileSync, writeFileSync } from "node:fs";
import { renderConfigDoc } from "../dist/config/doc.js";

const file = new URL("../docs/config.md", import.meta.url);
const text = renderConfigDoc();
if (process.argv.includes("--check")) {
  const current = readFileSync(file, "utf8");
  if (current !== text) {
    console.error("docs/config.md is stale: run npm run docs");
    process.exit(1);
  }
} else {
  writeFileSync(file, text);
  console.log("wrote docs/config.md");
}
