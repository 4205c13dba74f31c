/** Parse `listRecords` output strictly: a line that is not `<id>.json\t<valid record>` is a warning, never fatal. */
import type { z } from "zod";
import { RECORD_ID } from "../commands/records.js";

export function parseRecords<T extends { id: string }>(out: string, schema: z.ZodType<T>, what: string): { records: T[]; warnings: string[] } {
  const records: T[] = [];
  const warnings: string[] = [];
  for (const line of out.split("\n")) {
    if (!line.trim()) continue;
    const tab = line.indexOf("\t");
    const file = tab < 0 ? line : line.slice(0, tab);
    const id = file.endsWith(".json") ? file.slice(0, -5) : "";
    if (!RECORD_ID.test(id)) {
      warnings.push(`${what}: ignored a file with an unexpected name: ${JSON.stringify(file.slice(0, 80))}`);
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse(line.slice(tab + 1));
    } catch {
      warnings.push(`${what} ${id}: not valid JSON, ignored`);
      continue;
    }
    const r = schema.safeParse(json);
    if (!r.success || r.data.id !== id) {
      warnings.push(`${what} ${id}: malformed record, ignored${r.success ? " (id does not match its file)" : `: ${r.error.issues[0]?.message ?? ""}`}`);
      continue;
    }
    records.push(r.data);
  }
  return { records, warnings };
}
