/** `slipway <env> db backups`: not built yet. */
import { OperationError } from "../../../errors.js";
import type { Globals } from "../../registry.js";

export async function run(_args: string[], _globals: Globals): Promise<number> {
  throw new OperationError("db backups is not available yet");
}
