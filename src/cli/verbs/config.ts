/** `slipway config validate | schema` and `slipway <env> config print`. */
import { makeOutput, plainOutput } from "../../render/output.js";
import path from "node:path";
import { ConfigProblems, keyPath, loadConfig, type LoadedConfig } from "../../config/load.js";
import { environmentNames, resolveEnvironment } from "../../config/resolve.js";
import { jsonSchema } from "../../config/schema/index.js";
import { markedYaml, presetPaths } from "../../config/presets/print.js";
import { UsageError } from "../../errors.js";
import { redactDeep } from "../../events/redact.js";
import type { Globals } from "../registry.js";
import { configPath, parseVerb, verbCommand } from "../verb-command.js";

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    "config",
    "validate: check slipway.yml and list every problem; schema: print JSON Schema; <env> config print: the resolved config with secrets redacted.",
    "slipway config validate && slipway production config print",
  ).argument("<action>", "validate | schema | print | drift");
  const parsed = parseVerb(cmd, args, globals);
  if (!parsed) return 0;
  const action = parsed.args[0];
  const { opts } = parsed;
  if (action === "schema") {
    plainOutput().text(JSON.stringify(jsonSchema(), null, 2) + "\n");
    return 0;
  }
  if (action === "validate") {
    let loaded: LoadedConfig;
    try {
      loaded = loadConfig(configPath(opts));
    } catch (e) {
      // --json: the problems go to stdout as data (exit 2 all the same); text mode keeps the one handler.
      if (!opts.json || !(e instanceof ConfigProblems)) throw e;
      plainOutput().data({ ok: false, file: path.resolve(e.file), problems: e.details });
      return 2;
    }
    const names = environmentNames(loaded.raw);
    plainOutput().text(
      opts.json
        ? JSON.stringify({ ok: true, file: loaded.file, environments: names, problems: [] }) + "\n"
        : `${loaded.file}: ok (environments: ${names.join(", ")})\n`,
    );
    return 0;
  }
  if (action === "print") {
    if (!opts.env) throw new UsageError("config print needs an environment: slipway <env> config print");
    const loaded = loadConfig(configPath(opts));
    const env = resolveEnvironment(loaded, opts.env);
    const printable = { ...env, secrets: Object.fromEntries(Object.keys(env.secrets).map((k) => [k, "[REDACTED]"])), redact: undefined };
    // Secret values are also masked wherever else they appear (a hook that mentions one, say).
    // Value by value (then the text again), so JSON or YAML escaping of a multi-line secret cannot hide it.
    const { sessionRedactor } = await import("../session.js");
    const redact = sessionRedactor(loaded, env);
    const safe = redactDeep(printable, redact);
    // With a preset, what it supplied is marked: `# preset: django` per YAML line, `fromPreset` (paths in this printout) in JSON.
    const marks = loaded.preset ? presetPaths(loaded, env) : [];
    const preset = loaded.preset ? { preset: loaded.preset.name, fromPreset: marks.map((p) => keyPath(p)) } : {};
    makeOutput(redact).text(opts.json ? JSON.stringify({ ...safe, ...preset }, null, 2) + "\n" : markedYaml(safe, marks, `preset: ${loaded.preset?.name}`));
    return 0;
  }
  if (action === "drift") {
    if (!opts.env) throw new UsageError("config drift needs an environment: slipway <env> config drift");
    const { openSession, runOperation } = await import("../session.js");
    const { configDrift } = await import("../../apply/configpush.js");
    const { table } = await import("../../render/table.js");
    const s = await openSession(opts, { verb: "config drift", record: false, quiet: true });
    let drifted = 0;
    const code = await runOperation(s, async () => {
      const pool = s.ctx.pool;
      const rows = await configDrift(s.ctx, pool, s.hosts);
      drifted = rows.length;
      if (opts.json) s.out.data(rows);
      else s.out.text(rows.length ? table(["HOST", "FILE", "DRIFT"], rows) : "no drift: every pushed file is as it was pushed\n");
      return [];
    });
    return code || (drifted ? 1 : 0);
  }
  throw new UsageError(`config: expected validate, schema, print or drift, got ${JSON.stringify(action)}`);
}
