#!/usr/bin/env node
/** Entry point: split global options, find the verb, run it, map errors to exit codes in one place. */
// Start-up matters (`slipway --help` is run by hand and by shell completion): the entry imports only the
// verb table, the help text, the error classes and the sanitiser for error lines; everything else is
// imported where a path needs it.
import module from "node:module";
import { GLOBAL_VERBS, findVerb, type Globals } from "./registry.js";
import { topHelp } from "./help.js";
import { ConfigError, InterruptedError, OperationError, Reported, UsageError } from "../errors.js";
import { sanitizeTerminal } from "../render/sanitize.js";
import type { knownEnvironments as KnownEnvironments } from "./unknown-words.js";

// Node >= 22.1 caches compiled code on disk across runs (verbs' chunks load after this line); Node 20
// has no such API, so there it is skipped. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

/** What the CLI says about words it does not know: loaded only when a word needs checking. */
const words = () => import("./unknown-words.js");

/** Pull global options that appear before the env/verb; everything after goes to the verb. */
export function splitArgs(argv: string[]): { globals: Globals; positional: string[]; rest: string[]; help: boolean; version: boolean } {
  const globals: Globals = { json: false, verbose: false };
  let help = false;
  let version = false;
  const positional: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-c" || a === "--config") {
      globals.config = argv[++i];
      if (globals.config === undefined) throw new UsageError(`${a} needs a file path`);
    } else if (a.startsWith("--config=")) globals.config = a.slice(9);
    else if (a === "--json") globals.json = true;
    else if (a === "-v" || a === "--verbose") globals.verbose = true;
    else if (a === "--no-color") globals.noColor = true;
    else if (a === "-h" || a === "--help") help = true;
    else if (a === "--version" || a === "-V") version = true;
    else if (a.startsWith("-")) break;
    else {
      positional.push(a);
      // A global verb stands alone; otherwise the first positional is the env and the second the verb.
      if (GLOBAL_VERBS.has(positional[0]!)) {
        i++;
        break;
      }
      if (positional.length === 2) {
        i++;
        break;
      }
    }
  }
  return { globals, positional, rest: argv.slice(i), help, version };
}

async function main(argv: string[]): Promise<number> {
  const { globals, positional, rest, help, version } = splitArgs(argv);
  if (version && positional.length === 0) {
    const { VERSION } = await import("../version.js");
    process.stdout.write(`slipway ${VERSION}\n`);
    return 0;
  }
  if (positional.length === 0) {
    if (!help && rest[0]?.startsWith("-") && rest[0] !== "--") throw (await words()).unknownGlobalOption(rest[0]);
    process.stdout.write(topHelp());
    return help || argv.length === 0 ? 0 : 2;
  }
  const [first, second] = positional as [string, string | undefined];
  const helpArgs = help ? ["--help"] : [];
  if (first === "help") {
    process.stdout.write(topHelp());
    return 0;
  }
  if (GLOBAL_VERBS.has(first)) {
    const mod = await findVerb(first, false)!.load();
    return mod.run([...rest, ...helpArgs], globals);
  }
  if (!second) {
    const { aliasHelp, knownEnvironments, nearVerb, needsEnvironment, unknownFirstWord } = await words();
    const envs = await knownEnvironments(globals);
    const envVerb = findVerb(first, true);
    // `slipway deploy --help` shows deploy's help; without --help it says an environment is missing.
    if (envVerb && help) return (await envVerb.load()).run(helpArgs, globals);
    if (envVerb) throw needsEnvironment(first, envs);
    if (envs && !envs.names.includes(first)) throw unknownFirstWord(first, envs);
    if (!envs) {
      const near = nearVerb(first);
      if (near) throw near;
    }
    if (help) {
      process.stdout.write(topHelp() + (envs ? aliasHelp(envs.aliases) : ""));
      return 0;
    }
    throw new UsageError(`missing verb after environment "${first}" (try: slipway ${first} deploy --help)`);
  }
  const wantsHelp = help || rest.includes("--help") || rest.includes("-h");
  // A verb's help needs no environment, so `slipway anyenv deploy --help` still shows it.
  let envs: Awaited<ReturnType<typeof KnownEnvironments>> | undefined;
  if (!wantsHelp) {
    const { knownEnvironments, unknownEnvironment } = await words();
    envs = await knownEnvironments(globals);
    if (envs && !envs.names.includes(first)) throw unknownEnvironment(first, envs);
  }
  const spec = findVerb(second, true);
  if (!spec) {
    // Not a verb: one of the config's aliases, whose arguments are all the command's (`--help` too).
    const { knownEnvironments, unknownVerb } = await words();
    if (envs === undefined) envs = await knownEnvironments(globals);
    const alias = envs?.aliases.find((a) => a.name === second);
    if (!alias)
      throw unknownVerb(
        second,
        envs?.aliases.map((a) => a.name),
      );
    if (help) {
      process.stdout.write(`slipway ${first} ${second} [args...]: ${alias.summary}\n`);
      return 0;
    }
    const { runAlias } = await import("./verbs/alias.js");
    return runAlias(second, rest, { ...globals, env: first });
  }
  return (await spec.load()).run([...rest, ...helpArgs], { ...globals, env: first });
}

/**
 * Once the verb is done, nothing may keep the process alive: a handshake still waiting on a host
 * that froze would otherwise hold the exit for its whole timeout.
 */
const exitSoon = () => setTimeout(() => process.exit(), 200).unref();

/**
 * A reader that stops early (`slipway --help | head -1`) closes the pipe, and Node reports the next
 * write as an unhandled EPIPE with a stack trace. Output nobody reads is dropped instead (a closed
 * stream ignores later writes) and the verb ends as it would have: a deploy piped into `head` must
 * not stop half-way because its reader went away.
 */
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    exitSoon();
  },
  (err: unknown) => {
    const verbose = process.argv.includes("-v") || process.argv.includes("--verbose");
    exitSoon();
    if (err instanceof Reported) {
      process.exitCode = err.exitCode;
      return;
    }
    if (err instanceof ConfigError || err instanceof UsageError) {
      process.stderr.write(`error: ${sanitizeTerminal(err.message)}\n`);
      process.exitCode = 2;
    } else if (err instanceof InterruptedError) {
      process.stderr.write("interrupted\n");
      process.exitCode = 130;
    } else if (err instanceof OperationError) {
      process.stderr.write(`error: ${sanitizeTerminal(err.message)}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`internal error: ${sanitizeTerminal((err as Error)?.message ?? String(err))}\n`);
      if (verbose) process.stderr.write(`${(err as Error)?.stack ?? ""}\n`);
      else process.stderr.write("(run with --verbose for the stack trace)\n");
      process.exitCode = 1;
    }
  },
);
