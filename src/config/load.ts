/**
 * Config is parsed once: read → YAML → schema → cross-field rules → normalized, frozen objects.
 * Every problem is reported at once with its key path (and line, when YAML knows it).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { LineCounter, parseDocument, isMap, isNode, isScalar } from "yaml";
import type { z } from "zod";
import { ConfigError } from "../errors.js";
import { configSchema, type RawConfig } from "./schema/index.js";
import { checkRules } from "./rules.js";
import type { PresetName } from "./presets/index.js";
import { applyPreset, isFromPreset } from "./presets/merge.js";

/** One config problem, structured for `config validate --json`: key path (null for the whole file), line and message. */
export interface ConfigProblem {
  path: string | null;
  line: number | null;
  message: string;
}

/** A ConfigError that keeps each problem's structure; its text is unchanged (`line N: path: message`). */
export class ConfigProblems extends ConfigError {
  constructor(
    file: string,
    readonly details: ConfigProblem[],
  ) {
    super(file, details.map(formatProblem));
  }
}

/** `line 8: environments.production.hosts[2].port: expected ...` */
export function formatProblem(p: ConfigProblem): string {
  return `${p.line === null ? "" : `line ${p.line}: `}${p.path === null ? "" : `${p.path}: `}${p.message}`;
}

export interface LoadedConfig {
  file: string;
  dir: string;
  raw: RawConfig;
  /** The `preset:` merged in, and the key paths whose values it supplied (`config print` marks them). */
  preset?: { name: PresetName; fromPreset: string[][] };
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

/** One zod issue as (path, message) pairs; an unknown-keys issue gives one per key, each at its own path. */
function issueProblems(issue: z.core.$ZodIssue, input: unknown): { path: PropertyKey[]; message: string }[] {
  const got = valueAt(input, issue.path);
  const at = (message: string) => [{ path: [...issue.path], message }];
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((k) => ({ path: [...issue.path, k], message: "unknown key" }));
    case "invalid_type":
      if (got === undefined) return at(`is required (${issue.message.startsWith("expected") ? issue.message : `expected ${issue.expected}`})`);
      return at(`${issue.message.startsWith("expected") ? issue.message : `expected ${issue.expected}`}, got ${describeValue(got)}`);
    case "invalid_value":
      return at(`expected one of ${issue.values.map((x) => JSON.stringify(x)).join(", ")}, got ${describeValue(got)}`);
    case "invalid_key": {
      // A record's key failed its own schema: say what the key should be (not what its value is).
      const inner = issue.issues[0]?.message;
      return at(`${inner?.startsWith("expected") ? inner : "expected another key"}, got the key ${describeValue(issue.path.at(-1))}`);
    }
    default: {
      const msg = issue.message.startsWith("expected") ? issue.message : `expected ${lowerFirst(issue.message)}`;
      return at(`${msg}, got ${describeValue(got)}`);
    }
  }
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

/** Parse config text; throws ConfigProblems (a ConfigError) with every problem. */
export function parseConfig(text: string, file: string): LoadedConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigProblems(
      file,
      doc.errors.map((e) => ({ path: null, line: e.linePos?.[0]?.line ?? null, message: e.message.split("\n")[0]! })),
    );
  }
  // The preset's defaults go in before the schema; a value it supplied has no line in this file.
  const merged = applyPreset(doc.toJS());
  const input = merged.config;
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;
  // The line of the key itself when the path ends in a map key (an unknown key, a block value that
  // starts on the next line), else of the nearest node YAML knows.
  const lineOf = (segments: readonly PropertyKey[]): number | null => {
    const last = segments[segments.length - 1];
    if (typeof last === "string") {
      const parent = segments.length === 1 ? doc.contents : doc.getIn(segments.slice(0, -1) as unknown[], true);
      const pair = isMap(parent) ? parent.items.find((it) => isScalar(it.key) && String(it.key.value) === last) : undefined;
      if (pair && isScalar(pair.key) && pair.key.range) return lineAt(pair.key.range[0]);
    }
    for (let n = segments.length; n >= 0; n--) {
      const node = doc.getIn(segments.slice(0, n) as unknown[], true);
      if (isNode(node) && node.range) return lineAt(node.range[0]);
    }
    return null;
  };
  const problem = (p: { path: PropertyKey[]; message: string }): ConfigProblem =>
    merged.preset && isFromPreset(merged.fromPreset, p.path)
      ? { path: `preset ${merged.preset}: ${keyPath(p.path)}`, line: null, message: p.message }
      : { path: keyPath(p.path), line: lineOf(p.path), message: p.message };
  // Problems of the merge (an unknown preset, a removal of nothing) come first; the schema's at the same key add nothing.
  const mergeProblems = merged.problems.map(problem);
  const result = configSchema.safeParse(input ?? {});
  if (!result.success || mergeProblems.length > 0) {
    const schemaProblems = result.success ? [] : result.error.issues.flatMap((iss) => issueProblems(iss, input).map(problem));
    throw new ConfigProblems(file, dedupe([...mergeProblems, ...schemaProblems.filter((p) => !mergeProblems.some((m) => m.path === p.path))]));
  }
  const dir = path.dirname(path.resolve(file));
  const ruleProblems = checkRules(result.data, dir);
  if (ruleProblems.length > 0) throw new ConfigProblems(file, ruleProblems.map(problem));
  const preset = merged.preset ? { name: merged.preset, fromPreset: merged.fromPreset } : undefined;
  return { file: path.resolve(file), dir, raw: result.data, ...(preset ? { preset } : {}) };
}

const dedupe = (xs: ConfigProblem[]) => xs.filter((p, i) => xs.findIndex((q) => formatProblem(q) === formatProblem(p)) === i);

/** Read and parse a config file. */
export function loadConfig(file: string): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigProblems(file, [
      { path: null, line: null, message: code === "ENOENT" ? "file not found (create one with `slipway init`)" : `cannot read: ${(e as Error).message}` },
    ]);
  }
  return parseConfig(text, file);
}
