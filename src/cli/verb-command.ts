/** Flag parsing shared by every verb (commander), kept free of heavy imports so --help stays instant. */
import path from "node:path";
import { Command } from "commander";
import { UsageError } from "../errors.js";
import type { Globals, VerbModule } from "./registry.js";

/** Globals objects for which parseVerb hands the built command back instead of parsing (see verbDefinition). */
const asking = new WeakSet<Globals>();

/** Thrown by parseVerb for `verbDefinition`: carries the verb's commander definition out of its `run`. */
class Definition {
  constructor(readonly cmd: Command) {}
}

/**
 * A verb's commander definition (its options and arguments), for shell completion: the verb's own
 * `run` builds it, and parseVerb stops there, before any session, config or host is touched.
 */
export async function verbDefinition(verb: VerbModule): Promise<Command | null> {
  const globals: Globals = { json: false, verbose: false };
  asking.add(globals);
  try {
    await verb.run([], globals);
  } catch (e) {
    if (e instanceof Definition) return e.cmd;
  }
  return null;
}

/** A commander Command with the options every verb accepts, and errors mapped to exit code 2. */
export function verbCommand(name: string, description: string, example: string): Command {
  // showSuggestionAfterError: commander's "Did you mean --plan?" for unknown options; parseVerb puts it on the error's line.
  return new Command(name)
    .description(description)
    .option("-c, --config <file>", "config file (default: ./slipway.yml)")
    .option("--json", "machine-readable output on stdout")
    .option("-v, --verbose", "show command output live")
    .option("--no-color", "no colour in terminal output (also: NO_COLOR=1)")
    .addHelpText("after", `\nExample:\n  ${example}\n`)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeErr: () => {} })
    .allowExcessArguments(false);
}

/** Parse a verb's args; `--help` prints and returns null, usage errors become UsageError. */
export function parseVerb<T>(cmd: Command, args: string[], globals: Globals): { opts: T & Globals; args: string[] } | null {
  if (asking.has(globals)) throw new Definition(cmd);
  try {
    cmd.parse(args, { from: "user" });
  } catch (e) {
    const err = e as { code?: string; message: string };
    if (err.code === "commander.helpDisplayed" || err.code === "commander.help") return null;
    throw new UsageError(err.message.replace(/^error: /, "").replace(/\n\(Did you mean (\S+)\?\)$/, (_, s: string) => ` (did you mean \`${s}\`?)`));
  }
  const o = cmd.opts() as T & Partial<Globals> & { color?: boolean };
  return {
    opts: {
      ...o,
      config: o.config ?? globals.config,
      json: Boolean(o.json || globals.json),
      verbose: Boolean(o.verbose || globals.verbose),
      noColor: o.color === false || Boolean(globals.noColor),
      env: globals.env,
    } as T & Globals,
    args: cmd.args,
  };
}

/** The config file: -c, $SLIPWAY_CONFIG, or ./slipway.yml. */
export function configPath(globals: Globals): string {
  return path.resolve(globals.config ?? process.env.SLIPWAY_CONFIG ?? "slipway.yml");
}
