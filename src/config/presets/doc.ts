/** Renders docs/presets.md from the preset definitions: every default each preset sets, with its why. */
import { PRESETS } from "./index.js";
import type { Preset } from "./types.js";

type Row = { key: string; value: string };

/** The preset's defaults flattened to key paths: objects open up, lists and scalars are one value. */
function rows(value: unknown, prefix: string, out: Row[]): Row[] {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) rows(v, prefix ? `${prefix}.${k}` : k, out);
  } else out.push({ key: prefix, value: `\`${JSON.stringify(value)}\`` });
  return out;
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** The note for a key: its own, else the nearest parent's (shown once, on the first row under it). */
function noteFor(p: Preset, key: string, shown: Set<string>): string {
  const parts = key.split(".");
  for (let n = parts.length; n > 0; n--) {
    const k = parts.slice(0, n).join(".");
    if (p.notes[k] === undefined) continue;
    if (shown.has(k)) return "";
    shown.add(k);
    return p.notes[k]!;
  }
  return "";
}

function section(p: Preset): string {
  const all = rows(p.defaults, "", []);
  for (const [key, c] of Object.entries(p.computed ?? {})) {
    // After the rows of its parent, so a service's command sits with the service.
    const parent = `${key.split(".").slice(0, -1).join(".")}.`;
    const last = all.map((r) => r.key.startsWith(parent)).lastIndexOf(true);
    all.splice(last < 0 ? all.length : last + 1, 0, { key, value: `${c.doc} (computed)` });
  }
  if (p.schemaStatus) all.push({ key: "environments.<env>.databases.<key>.schema_status", value: `\`${JSON.stringify(p.schemaStatus)}\` (when unset)` });
  const shown = new Set<string>();
  const table = all.map((r) => {
    const note = noteFor(p, r.key === "environments.<env>.databases.<key>.schema_status" ? "schema_status" : r.key, shown);
    return `| \`${r.key}\` | ${cell(r.value)} | ${cell(note)} |`;
  });
  const otherNotes = Object.entries(p.notes).filter(([k]) => !shown.has(k));
  const aliases = Object.entries(p.aliases).map(([n, a]) => `| \`${n}\` | \`${a.command}\` | ${a.role ?? "(primary)"} | ${a.interactive ? "yes" : "no"} |`);
  return [
    `## ${p.name}`,
    "",
    p.summary,
    "",
    "| key | default | why |",
    "|---|---|---|",
    ...table,
    ...otherNotes.map(([k, n]) => `| \`${k}\` | (not set) | ${cell(n)} |`),
    "",
    "Aliases (`slipway <env> <alias> <args>`, run in the current release on the role's primary host):",
    "",
    "| alias | command | role | pty |",
    "|---|---|---|---|",
    ...aliases,
    "",
  ].join("\n");
}

export function renderPresetsDoc(): string {
  return `# Presets

Generated from \`src/config/presets/\` by \`npm run docs\`; do not edit by hand.

\`preset: django | rails | node\` at the top of slipway.yml merges a framework's defaults under your
config before it is checked:

- your keys win key by key: objects merge (\`services.web.health.http\` alone replaces only that URL),
  lists and plain values are replaced whole (\`build: [...]\` replaces the preset's build; \`build: []\` removes it);
- \`services: { worker: null }\` (or \`false\`) removes a preset service;
- environment-level keys are yours: an environment's \`env\` or \`vars\` still override the preset's top-level ones;
- every database (in any environment) without \`schema_status\` gets the preset's, so \`rollback\` can compare schemas;
- \`slipway <env> config print\` shows the merged result, each preset value marked \`# preset: <name>\`
  (\`--json\`: a \`fromPreset\` list of paths in the printout); an invalid preset-supplied value is reported as
  \`preset <name>: <key path>\`.

Services use the supervisord backend (see \`supervisor\` in config.md) and run on hosts with role \`web\`
(and \`worker\` for workers); \`{{ PORT }}\` comes from \`env.PORT\` or a host's own \`env: { PORT: ... }\`.

${Object.values(PRESETS).map(section).join("\n")}`;
}
