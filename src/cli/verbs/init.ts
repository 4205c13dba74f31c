/** `slipway init [--preset django|rails|node] [--force]` writes a commented starter slipway.yml. */
import { plainOutput } from "../../render/output.js";
import { existsSync, writeFileSync } from "node:fs";
import { PRESET_NAMES, isPresetName } from "../../config/presets/index.js";
import { presetStarter, STARTER } from "../../config/starter.js";
import { UsageError } from "../../errors.js";
import type { Globals } from "../registry.js";
import { configPath, parseVerb, verbCommand } from "../verb-command.js";

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand("init", "Write a commented starter slipway.yml in the current directory.", "slipway init --preset django && slipway config validate")
    .option("--preset <name>", `a short starter using a framework preset: ${PRESET_NAMES.join(", ")}`)
    .option("--force", "overwrite an existing file");
  const parsed = parseVerb<{ force?: boolean; preset?: string }>(cmd, args, globals);
  if (!parsed) return 0;
  const { preset } = parsed.opts;
  if (preset !== undefined && !isPresetName(preset)) throw new UsageError(`--preset: expected ${PRESET_NAMES.join(" | ")}, got ${JSON.stringify(preset)}`);
  const file = configPath(parsed.opts);
  if (existsSync(file) && !parsed.opts.force) throw new UsageError(`${file} already exists (use --force to overwrite)`);
  writeFileSync(file, preset ? presetStarter(preset) : STARTER);
  plainOutput().text(`wrote ${file}${preset ? ` (preset ${preset}: see docs/presets.md)` : ""}\nnext: edit it, then run: slipway config validate\n`);
  return 0;
}
