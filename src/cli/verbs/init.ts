/** `slipway init [--force]` writes a commented starter slipway.yml. */
import { plainOutput } from "../../render/output.js";
import { existsSync, writeFileSync } from "node:fs";
import { STARTER } from "../../config/starter.js";
import { UsageError } from "../../errors.js";
import type { Globals } from "../registry.js";
import { configPath, parseVerb, verbCommand } from "../verb-command.js";

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand("init", "Write a commented starter slipway.yml in the current directory.", "slipway init && slipway config validate").option(
    "--force",
    "overwrite an existing file",
  );
  const parsed = parseVerb<{ force?: boolean }>(cmd, args, globals);
  if (!parsed) return 0;
  const file = configPath(parsed.opts);
  if (existsSync(file) && !parsed.opts.force) throw new UsageError(`${file} already exists (use --force to overwrite)`);
  writeFileSync(file, STARTER);
  plainOutput().text(`wrote ${file}\nnext: edit it, then run: slipway config validate\n`);
  return 0;
}
