/**
 * `slipway <env> db <action> ...`: one verb, its actions each in their own file under verbs/db/
 * (backup, backups, verify, restore, alters, clone), loaded lazily like the verbs themselves.
 */
import { UsageError } from "../../errors.js";
import type { Globals, VerbModule } from "../registry.js";
import { didYouMean } from "../suggest.js";

export const DB_ACTIONS: Record<string, { summary: string; load: () => Promise<VerbModule> }> = {
  backup: { summary: "take a consistent, compressed, checksummed dump on the database host [-m note]", load: () => import("./db/backup.js") },
  backups: { summary: "list backups: id, size, when, who, release, checksum", load: () => import("./db/backups.js") },
  verify: { summary: "restore a backup into a scratch database and compare row counts and checksums", load: () => import("./db/verify.js") },
  restore: { summary: "restore a backup into the database (or --into another one)", load: () => import("./db/restore.js") },
  alters: { summary: "alters status | apply: tracked SQL files and the schema history table", load: () => import("./db/alters.js") },
  clone: { summary: "clone --from <env>: restore another environment's backup here, scrub, check", load: () => import("./db/clone.js") },
};

export async function run(args: string[], globals: Globals): Promise<number> {
  const [action, ...rest] = args;
  if (!action || action === "--help" || action === "-h") {
    const width = Math.max(...Object.keys(DB_ACTIONS).map((a) => a.length));
    process.stdout.write(
      `Usage: slipway <env> db <action> [options]\n\nActions:\n${Object.entries(DB_ACTIONS)
        .map(([a, x]) => `  ${a.padEnd(width)}  ${x.summary}`)
        .join("\n")}\n\nEvery action takes --db <name> when the environment has more than one database.\n`,
    );
    return action ? 0 : 2;
  }
  const spec = DB_ACTIONS[action];
  if (!spec)
    throw new UsageError(
      `db: unknown action ${JSON.stringify(action)}${didYouMean(action, Object.keys(DB_ACTIONS))}; expected one of: ${Object.keys(DB_ACTIONS).join(", ")}`,
    );
  return (await spec.load()).run(rest, globals);
}
