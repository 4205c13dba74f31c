/**
 * Config is parsed once: read → YAML → schema → cross-field rules → normalized, frozen objects.
 * Every problem is reported at once with its key path (and line, when YAML knows it).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { LineCounter, parseDocument, isNode } from "yaml";
import type { z } from "zod";
import { ConfigError } from "../errors.js";
import { configSchema, type RawConfig } from "./schema.js";
import { checkRules } from "./rules.js";

export interface LoadedConfig {
  file: string;
  dir: string;
  raw: RawConfig;
}

/** `environments.production.hosts[2].port` */
export function keyPath(segments: readonly PropertyKey[]): string {
  let out = "";
  for (const s of segments) {
    if (typeof s === "number") out += `[${s}]`;
    else out += out ? `.${String(s)}` : String(s);
  }
  return out || "(top level)";
}

function valueAt(root: unknown, segments: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const s of segments) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[s];
  }
  return v;
}

function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  const s = JSON.stringify(v);
  return s.length > 60 ? s.slice(0, 57) + "..." : s;
}

/** Turn one zod issue into `path: expected ..., got ...`. */
export function formatIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const where = keyPath(issue.path);
  const got = valueAt(input, issue.path);
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((k) => `${keyPath([...issue.path, k])}: unknown key`).join("\n");
    case "invalid_type":
      if (got === undefined) return `${where}: is required (${issue.message.startsWith("expected") ? issue.message : `expected ${issue.expected}`})`;
      return `${where}: ${issue.message.startsWith("expected") ? issue.message : `expected ${issue.expected}`}, got ${describeValue(got)}`;
    case "invalid_value":
      return `${where}: expected one of ${issue.values.map((x) => JSON.stringify(x)).join(", ")}, got ${describeValue(got)}`;
    default: {
      const msg = issue.message.startsWith("expected") ? issue.message : `expected ${lowerFirst(issue.message)}`;
      return `${where}: ${msg}, got ${describeValue(got)}`;
    }
  }
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

/** Parse config text; throws ConfigError with every problem. */
export function parseConfig(text: string, file: string): LoadedConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(file, doc.errors.map((e) => `line ${e.linePos?.[0]?.line ?? "?"}: ${e.message.split("\n")[0]}`));
  }
  const input: unknown = doc.toJS();
  const lineOf = (segments: readonly PropertyKey[]): string => {
    for (let n = segments.length; n >= 0; n--) {
      const node = doc.getIn(segments.slice(0, n) as unknown[], true);
      if (isNode(node) && node.range) return `line ${lineCounter.linePos(node.range[0]).line}: `;
    }
    return "";
  };
  const result = configSchema.safeParse(input ?? {});
  if (!result.success) {
    const problems = result.error.issues.flatMap((iss) =>
      formatIssue(iss, input)
        .split("\n")
        .map((p) => lineOf(iss.path) + p),
    );
    throw new ConfigError(file, dedupe(problems));
  }
  const dir = path.dirname(path.resolve(file));
  const ruleProblems = checkRules(result.data, dir);
  if (ruleProblems.length > 0) {
    throw new ConfigError(file, ruleProblems.map((p) => lineOf(p.path) + `${keyPath(p.path)}: ${p.message}`));
  }
  return { file: path.resolve(file), dir, raw: result.data };
}

const dedupe = (xs: string[]) => [...new Set(xs)];

/** Read and parse a config file. */
export function loadConfig(file: string): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(file, [code === "ENOENT" ? "file not found (create one with `slipway init`)" : `cannot read: ${(e as Error).message}`]);
  }
  return parseConfig(text, file);
}
