/** `slipway state import [--from state.db]`: copy a control machine's SQLite state store into the team's PostgreSQL store. */
import { existsSync } from "node:fs";
import path from "node:path";
import { loadConfig } from "../../config/load.js";
import { stateSecrets, stateSettings, stateUrl } from "../../config/state.js";
import { UsageError } from "../../errors.js";
import { makeRedactor } from "../../events/redact.js";
import { makeOutput } from "../../render/output.js";
import type { Globals } from "../registry.js";
import { stateDirOf } from "../session.js";
import { configPath, parseVerb, verbCommand } from "../verb-command.js";

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    "state",
    "import: copy a SQLite state store (every environment's runs and their events) into the PostgreSQL store that slipway.yml's `state` names. Runs copied before are skipped, so it can run again.",
    "slipway state import --from ~/old-checkout/.slipway/state.db",
  )
    .argument("<action>", "import")
    .option("--from <file>", "the SQLite state.db to copy (default: the one this config uses: .slipway/state.db beside it, or in $SLIPWAY_STATE_DIR)");
  const parsed = parseVerb<{ from?: string }>(cmd, args, globals);
  if (!parsed) return 0;
  if (parsed.args[0] !== "import") throw new UsageError(`state: expected import, got ${parsed.args[0]}`);
  const loaded = loadConfig(configPath(parsed.opts));
  const settings = stateSettings(loaded.raw);
  if (settings.store !== "postgres") throw new UsageError("state import copies into PostgreSQL: set `state: postgres` in slipway.yml first");
  const url = stateUrl(settings);
  const file = path.resolve(parsed.opts.from ?? path.join(stateDirOf(loaded.dir), "state.db"));
  if (!existsSync(file)) throw new UsageError(`${file}: no SQLite state store there`);
  const out = makeOutput(makeRedactor(stateSecrets(loaded.raw)));

  const { SqliteStore } = await import("../../store/sqlite.js");
  const { PgStore } = await import("../../store/postgres.js");
  const from = new SqliteStore(file);
  const to = new PgStore(url, loaded.raw.app);
  const n = { runs: 0, events: 0, skippedRuns: 0, skippedEvents: 0 };
  try {
    // The file's own id, not its path: the same store moved or copied is still recognized.
    const id = from.storeId();
    for (const r of from.allRuns()) {
      const events = from.storedEvents(r.id);
      if (await to.importRun(`${id}:${r.id}`, r, events)) {
        n.runs++;
        n.events += events.length;
      } else {
        n.skippedRuns++;
        n.skippedEvents += events.length;
      }
    }
  } finally {
    await from.close();
    await to.close();
  }
  if (parsed.opts.json) out.data({ from: file, copied: { runs: n.runs, events: n.events }, skipped: { runs: n.skippedRuns, events: n.skippedEvents } });
  else out.text(`copied ${n.runs} runs (${n.events} events) from ${file}; skipped ${n.skippedRuns} runs (${n.skippedEvents} events) already in ${to.label}\n`);
  return 0;
}
