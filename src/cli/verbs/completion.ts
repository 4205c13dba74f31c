/** `slipway completion bash|zsh|fish` prints a completion script; `completion --complete -- <words>` is what that script calls on Tab. */
import { UsageError } from "../../errors.js";
import { completions } from "../complete.js";
import { completionScript, SHELLS, type Shell } from "../completion-scripts.js";
import type { Globals } from "../registry.js";
import { parseVerb, verbCommand } from "../verb-command.js";

export async function run(args: string[], globals: Globals): Promise<number> {
  // Read before commander so the scripts' call stays out of --help and any word (`--plan`, `-c`) passes as is.
  if (args[0] === "--complete") return complete(args.slice(args[1] === "--" ? 2 : 1));
  const cmd = verbCommand(
    "completion",
    "Print a shell completion script for verbs, environments, components, services, release ids and options.",
    "source <(slipway completion bash)     # add it to ~/.bashrc; zsh: source <(slipway completion zsh)",
  ).argument("<shell>", SHELLS.join(" | "));
  const parsed = parseVerb(cmd, args, globals);
  if (!parsed) return 0;
  const shell = parsed.args[0] as Shell;
  if (!SHELLS.includes(shell)) throw new UsageError(`completion: expected ${SHELLS.join(", ")}, got ${JSON.stringify(shell)}`);
  process.stdout.write(completionScript(shell));
  return 0;
}

/** One candidate per line; any failure means no candidates, never an error in the user's prompt. */
async function complete(words: string[]): Promise<number> {
  try {
    const list = await completions(words);
    if (list.length) process.stdout.write(`${list.join("\n")}\n`);
  } catch {
    // nothing to offer
  }
  return 0;
}
