/** The usage errors for words main.ts cannot place (an unknown verb, environment or global option), with a "did you mean". */
import path from "node:path";
import { UsageError } from "../errors.js";
import type { Globals } from "./registry.js";
import { VERBS } from "./registry.js";
import { didYouMean, nearest } from "./suggest.js";

/** Environments named in the config, with the file's name for messages. */
export interface KnownEnvironments {
  file: string;
  names: string[];
  /** `aliases:` of the config: `slipway <env> <alias>` runs one. */
  aliases: { name: string; summary: string }[];
}

/**
 * The config's environment names, or null when the config cannot be read: then the verb runs and
 * reports the config problem itself, with its key paths, as it always did. Loaded lazily so
 * `--help` and `version` never pay for the schema.
 */
export async function knownEnvironments(globals: Globals): Promise<KnownEnvironments | null> {
  try {
    const { configPath } = await import("./verb-command.js");
    const { loadConfig } = await import("../config/load.js");
    const loaded = loadConfig(configPath(globals));
    const aliases = Object.entries(loaded.raw.aliases).map(([name, a]) => ({
      name,
      summary: typeof a === "string" ? a : (a.description ?? `${a.command}${a.interactive ? " (interactive)" : ""}`),
    }));
    return { file: path.basename(loaded.file), names: Object.keys(loaded.raw.environments), aliases };
  } catch {
    return null;
  }
}

const verbNames = (needsEnv?: boolean) => [...new Set(VERBS.filter((v) => needsEnv === undefined || v.needsEnv === needsEnv).map((v) => v.name))];

/** `slipway prodution deploy`: the environment is not in the config. */
export function unknownEnvironment(word: string, envs: KnownEnvironments): UsageError {
  const hint = didYouMean(word, envs.names) || `; environments in ${envs.file}: ${envs.names.join(", ") || "(none)"}`;
  return new UsageError(`unknown environment "${word}"${hint}`);
}

/** `slipway production rolback`: neither a verb that runs on an environment nor one of the config's aliases. */
export function unknownVerb(word: string, aliases: readonly string[] = []): UsageError {
  const hint = didYouMean(word, [...verbNames(true), ...aliases]) || ` (see slipway --help${aliases.length ? `; aliases: ${aliases.join(", ")}` : ""})`;
  return new UsageError(`unknown verb "${word}"${hint}`);
}

/** `slipway <env> --help`: the config's aliases, under the verbs. */
export function aliasHelp(aliases: KnownEnvironments["aliases"]): string {
  if (!aliases.length) return "";
  const w = Math.max(...aliases.map((a) => a.name.length));
  return `\nAliases (slipway <env> <alias> [args...]):\n${aliases.map((a) => `  ${a.name.padEnd(w)}  ${a.summary}`).join("\n")}\n`;
}

/** `slipway deploy`: a verb that needs an environment was given none. */
export function needsEnvironment(verb: string, envs: KnownEnvironments | null): UsageError {
  const names = envs?.names.length ? ` (environments: ${envs.names.join(", ")})` : "";
  return new UsageError(`${verb} runs on an environment: slipway <env> ${verb}${names}`);
}

/**
 * `slipway rolback` or `slipway anyword --help`: the first word is neither a global verb nor an
 * environment. A near miss gets a suggestion; otherwise the message lists what the word could be.
 */
export function unknownFirstWord(word: string, envs: KnownEnvironments): UsageError {
  const verbs = verbNames();
  const near = nearest(word, [...envs.names, ...verbs]);
  if (near !== undefined && envs.names.includes(near)) return new UsageError(`unknown environment "${word}" (did you mean \`${near}\`?)`);
  if (near !== undefined) return new UsageError(`unknown verb "${word}" (did you mean \`${near}\`?)`);
  return new UsageError(
    `${word} is neither a verb nor an environment in ${envs.file} (verbs: ${verbs.join(", ")}; environments: ${envs.names.join(", ") || "(none)"})`,
  );
}

/** Without a readable config only verbs can be suggested; null when none is close. */
export function nearVerb(word: string): UsageError | null {
  const near = nearest(word, verbNames());
  return near === undefined ? null : new UsageError(`unknown verb "${word}" (did you mean \`${near}\`?)`);
}

const GLOBAL_OPTIONS = ["--config", "--json", "--verbose", "--help", "--version", "--no-color"];

/** `slipway --jsno production deploy`: an option main.ts does not know, before any verb. */
export function unknownGlobalOption(word: string): UsageError {
  const name = word.split("=")[0]!;
  return new UsageError(`unknown option '${name}'${didYouMean(name, GLOBAL_OPTIONS) || " (see slipway --help)"}`);
}
