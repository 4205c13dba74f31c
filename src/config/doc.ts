/** Renders the config reference (docs/config.md) from the JSON Schema generated from the zod schema. */
import { jsonSchema } from "./schema/index.js";

type Schema = {
  type?: string | string[];
  description?: string;
  default?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  additionalProperties?: Schema | boolean;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  pattern?: string;
};

const isCommandList = (s: Schema) => s.type === "array" && Boolean(s.items?.anyOf?.some((x) => x.properties?.run));

function typeOf(s: Schema): string {
  if (isCommandList(s)) return "list of commands";
  if (s.enum) return s.enum.map((e) => JSON.stringify(e)).join(" \\| ");
  if (s.anyOf) return s.anyOf.map(typeOf).join(" or ");
  if (s.type === "array") return `list of ${s.items ? typeOf(s.items) : "any"}`;
  if (s.type === "object" && s.additionalProperties && typeof s.additionalProperties === "object" && !s.properties)
    return `map of name → ${typeOf(s.additionalProperties)}`;
  if (s.type === "integer")
    return `integer${s.minimum !== undefined ? ` ≥ ${s.minimum}` : ""}${s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER ? ` ≤ ${s.maximum}` : ""}`;
  return Array.isArray(s.type) ? s.type.join(" \\| ") : (s.type ?? "any");
}

function walk(s: Schema, prefix: string, rows: string[][], required: boolean): void {
  const desc = s.description ?? s.anyOf?.find((x) => x.description)?.description ?? "";
  if (prefix)
    rows.push([
      `\`${prefix}\``,
      typeOf(s),
      required ? "yes" : "",
      s.default !== undefined ? `\`${JSON.stringify(s.default)}\`` : "",
      desc.replace(/\|/g, "\\|"),
    ]);
  if (isCommandList(s)) return;
  const props = Object.values(s.properties ?? {});
  if (props.length > 1 && props.every(isCommandList)) {
    rows.push([`\`${prefix}.<phase>\``, "list of commands", "", "", `one of: ${Object.keys(s.properties!).join(", ")}`]);
    return;
  }
  const obj = s.properties ? s : s.anyOf?.find((x) => x.properties);
  if (obj?.properties) {
    for (const [k, v] of Object.entries(obj.properties)) walk(v, prefix ? `${prefix}.${k}` : k, rows, obj.required?.includes(k) ?? false);
  }
  if (s.anyOf)
    for (const alt of s.anyOf.filter((x) => x.properties && x !== obj))
      for (const [k, v] of Object.entries(alt.properties!)) walk(v, `${prefix}.${k}`, rows, alt.required?.includes(k) ?? false);
  if (s.type === "array" && s.items?.properties) walk({ ...s.items, description: undefined }, `${prefix}[]`, rows, false);
  if (s.type === "array" && s.items?.anyOf)
    for (const alt of s.items.anyOf.filter((x) => x.properties))
      for (const [k, v] of Object.entries(alt.properties!)) walk(v, `${prefix}[].${k}`, rows, alt.required?.includes(k) ?? false);
  if (
    s.additionalProperties &&
    typeof s.additionalProperties === "object" &&
    (s.additionalProperties.properties || s.additionalProperties.anyOf?.some((x) => x.properties))
  )
    walk({ ...s.additionalProperties, description: undefined }, `${prefix}.<name>`, rows, false);
}

export function renderConfigDoc(): string {
  const rows: string[][] = [];
  walk(jsonSchema() as Schema, "", rows, false);
  const seen = new Set<string>();
  const unique = rows.filter((r) => (seen.has(r[0]!) ? false : (seen.add(r[0]!), true)));
  return `# slipway.yml reference

Generated from the schema in \`src/config/schema/\` by \`npm run docs\`; do not edit by hand.
Editors can validate against the JSON Schema: \`slipway config schema > slipway.schema.json\`.

A **command** (in \`build\`, \`migrate\`, \`restart\`, \`verify\` and hooks) is a shell string, or an object:

| key | type | default | description |
|---|---|---|---|
| \`run\` | string | | Shell command. Runs in the release directory (restart/verify: in \`current\`) with the environment's \`env\`. |
| \`local\` | boolean | \`false\` | Run once on the control machine (in the config directory) instead of on the hosts. |
| \`roles\` | list of string | all hosts | Only on hosts with one of these roles. |

Every command also sees \`SLIPWAY_APP\`, \`SLIPWAY_ENV\`, \`SLIPWAY_RELEASE\`, \`SLIPWAY_RELEASE_PATH\`,
\`SLIPWAY_COMMIT\`, \`SLIPWAY_HOST\` and \`SLIPWAY_PREVIOUS_RELEASE\`. Variables are merged in one order,
later wins: \`env\` < the host's \`env\` < secrets < these \`SLIPWAY_*\` variables.

| key | type | required | default | description |
|---|---|---|---|---|
${unique.map((r) => `| ${r.join(" | ")} |`).join("\n")}
`;
}
