/**
 * Shell completion candidates for the word under the cursor. Runs on every Tab, so it reads only the
 * config (and, for release ids, the local state store), never contacts a host, and never throws:
 * anything it cannot read simply offers nothing.
 */
import path from "node:path";
import type { LoadedConfig } from "../config/load.js";
import { findVerb, VERBS } from "./registry.js";

/** Verbs whose first argument is a fixed word; kept in step with each verb's `<action>` argument (a unit test compares them). */
export const ACTION_WORDS: Record<string, string[]> = {
  "global config": ["validate", "schema"],
  "global secrets": ["keygen", "encrypt", "decrypt"],
  "global completion": ["bash", "zsh", "fish"],
  "global state": ["import"],
  "global tokens": ["create", "list", "revoke"],
  config: ["print", "drift"],
  lock: ["status", "acquire", "release"],
  downtime: ["start", "end", "status"],
};

/** `service <name> <action>`: the actions, as the service verb accepts them. */
export const SERVICE_ACTIONS = ["start", "stop", "restart", "reload", "status"];

/** Verbs whose first argument may name a component. */
const COMPONENT_VERBS = new Set(["deploy", "rollback", "releases", "history", "cleanup", "clean-releases", "setup-release"]);

const GLOBAL_FLAGS = ["--config", "--json", "--verbose", "--help", "--version", "--no-color"];

interface Line {
  config?: string;
  /** Positional words before the cursor (env, verb, arguments), options and their values removed. */
  pos: string[];
  /** The option just before the cursor when it takes a value (`--limit <TAB>`). */
  valueFor?: string;
  /** After `--` (`run -- cmd`): the words are the user's command, not ours. */
  afterDashes?: boolean;
}

/** Every candidate for the last of `words` (the command line after `slipway`, cursor word last). */
export async function completions(words: string[]): Promise<string[]> {
  const cur = words.at(-1) ?? "";
  const line = await parseLine(words.slice(0, -1));
  const all = await candidates(line, cur);
  return [...new Set(all)].filter((c) => c.startsWith(cur));
}

async function candidates(line: Line, cur: string): Promise<string[]> {
  const { pos } = line;
  if (line.afterDashes || line.valueFor === "--config" || line.valueFor === "-c") return []; // the shell completes file names
  const cfg = await loadQuietly(line.config);
  const env = cfg && pos[0] !== undefined && pos[0] in cfg.raw.environments ? pos[0] : undefined;
  if (line.valueFor) return line.valueFor === "--limit" && env && cfg ? hostsAndRoles(cfg, env) : [];
  if (pos.length === 0) {
    if (cur.startsWith("-")) return GLOBAL_FLAGS;
    return [...VERBS.filter((v) => !v.needsEnv).map((v) => v.name), ...(cfg ? Object.keys(cfg.raw.environments) : [])];
  }
  const global = findVerb(pos[0]!, false);
  if (global) {
    if (cur.startsWith("-")) return verbFlags(global.name, false);
    return pos.length === 1 ? (ACTION_WORDS[`global ${global.name}`] ?? []) : [];
  }
  if (!env || !cfg) return [];
  if (pos.length === 1) return [...VERBS.filter((v) => v.needsEnv).map((v) => v.name), ...Object.keys(cfg.raw.aliases ?? {})];
  const verb = pos[1]!;
  if (!findVerb(verb, true)) return [];
  if (cur.startsWith("-")) return verbFlags(verb, true);
  return verbArguments(cfg, env, verb, pos.slice(2));
}

/** Arguments of an environment verb, by position. */
async function verbArguments(cfg: LoadedConfig, env: string, verb: string, args: string[]): Promise<string[]> {
  const raw = cfg.raw;
  const components = Object.keys(raw.components ?? {});
  const n = args.length;
  if (verb === "service") return n === 0 ? [...Object.keys(raw.services ?? {}), "all"] : n === 1 ? SERVICE_ACTIONS : [];
  if (verb === "logs") return n === 0 ? Object.keys(raw.services ?? {}) : [];
  if (verb === "prestep") return n === 0 ? Object.keys(raw.presteps ?? {}) : [];
  if (verb === "ssh") return n === 0 ? hostsAndRoles(cfg, env) : [];
  if (verb === "lock") return n === 0 ? ACTION_WORDS.lock! : n === 1 ? components : [];
  if (verb === "rollback") {
    if (n === 0) return [...components, ...(await releaseIds(cfg, env, "deploy"))];
    // `rollback <component> <release>`: release ids of that component's deploys.
    return n === 1 && components.includes(args[0]!) ? releaseIds(cfg, env, `deploy ${args[0]}`) : [];
  }
  if (ACTION_WORDS[verb]) return n === 0 ? ACTION_WORDS[verb]! : [];
  return COMPONENT_VERBS.has(verb) && n === 0 ? components : [];
}

/** Split the words before the cursor into global options, positionals and a pending option value. */
async function parseLine(words: string[]): Promise<Line> {
  const line: Line = { pos: [] };
  let takesValue: (flag: string) => boolean = (f) => f === "-c" || f === "--config";
  let defined = false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === "--") {
      line.afterDashes = true;
      break;
    }
    if (!w.startsWith("-") || w === "-") {
      line.pos.push(w);
      continue;
    }
    // Which options take a value is the verb's business: ask its definition once an option follows it.
    if (!defined && line.pos.length > 0) {
      defined = true;
      takesValue = await valueFlags(line.pos, takesValue);
    }
    const flag = w.split("=")[0]!;
    if (flag === "-c" || flag === "--config") line.config = w.includes("=") ? w.slice(flag.length + 1) : words[i + 1];
    if (w.includes("=") || !takesValue(flag)) continue;
    if (i === words.length - 1) line.valueFor = flag;
    i++;
  }
  return line;
}

/** Whether a flag of the verb named by `pos` takes a value, from its commander definition. */
async function valueFlags(pos: string[], fallback: (f: string) => boolean): Promise<(f: string) => boolean> {
  const spec = findVerb(pos[0]!, false) ?? (pos.length > 1 ? findVerb(pos[1]!, true) : undefined);
  if (!spec) return fallback;
  const cmd = await definition(spec.name, spec.needsEnv);
  const withValue = new Set(cmd?.options.filter((o) => o.required || o.optional).flatMap((o) => [o.long, o.short].filter(Boolean) as string[]));
  return (f) => withValue.has(f) || fallback(f);
}

async function definition(verb: string, needsEnv: boolean) {
  const spec = findVerb(verb, needsEnv);
  if (!spec) return null;
  const { verbDefinition } = await import("./verb-command.js");
  return verbDefinition(await spec.load());
}

/** A verb's `--options`, from its commander definition (the verb module loads; nothing runs). */
async function verbFlags(verb: string, needsEnv: boolean): Promise<string[]> {
  const cmd = await definition(verb, needsEnv);
  if (!cmd) return [];
  return [...cmd.options.filter((o) => !o.hidden).flatMap((o) => (o.long ? [o.long] : o.short ? [o.short] : [])), "--help"];
}

function hostsAndRoles(cfg: LoadedConfig, env: string): string[] {
  const hosts = cfg.raw.environments[env]?.hosts ?? [];
  return [...hosts.map((h) => h.name), ...hosts.flatMap((h) => h.roles ?? [])];
}

/** Release ids this machine recorded for the environment (deploys that finished ok). */
async function releaseIds(cfg: LoadedConfig, env: string, verb: string): Promise<string[]> {
  try {
    const { recordedReleaseIds } = await import("../store/sqlite.js");
    // Same place as session.ts#stateDir (which needs a resolved environment, and so its secrets).
    const dir = path.resolve(process.env.SLIPWAY_STATE_DIR ?? path.join(cfg.dir, ".slipway"));
    return recordedReleaseIds(path.join(dir, "state.db"), env, verb);
  } catch {
    return [];
  }
}

/** The config, or null when it is missing or broken: a Tab key never prints an error. */
async function loadQuietly(file: string | undefined): Promise<LoadedConfig | null> {
  try {
    const { configPath } = await import("./verb-command.js");
    const { loadConfig } = await import("../config/load.js");
    return loadConfig(configPath({ config: file, json: false, verbose: false }));
  } catch {
    return null;
  }
}
