/** `slipway version` */
import { plainOutput } from "../../render/output.js";
import { VERSION } from "../../version.js";
import type { Globals } from "../registry.js";
import { parseVerb, verbCommand } from "../verb-command.js";

export async function run(args: string[], globals: Globals): Promise<number> {
  const parsed = parseVerb(verbCommand("version", "Print the slipway version.", "slipway version"), args, globals);
  if (!parsed) return 0;
  plainOutput().text(parsed.opts.json ? JSON.stringify({ version: VERSION, node: process.version }) + "\n" : `slipway ${VERSION} (node ${process.version})\n`);
  return 0;
}
