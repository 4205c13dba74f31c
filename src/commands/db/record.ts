/** Builders for a release's database record: schema_status output, db.json and the manifest's summary. */
import { createHash } from "node:crypto";
import type { Paths } from "../../config/paths.js";
import { FILES } from "../../config/paths.js";
import { cmd, type ScriptCommand } from "../script.js";
import { shPath, shq } from "../quote.js";

export const DB_RECORD_FILE = "db.json";
export const SCHEMA_STATUS_FILE = "schema-status.txt";

/** Run the configured schema_status command in the release; its output is kept beside the manifest. */
export function schemaStatus(p: Paths, id: string, command: string): ScriptCommand {
  const out = `${shPath(p.releaseMeta(id))}/${SCHEMA_STATUS_FILE}`;
  return cmd(`{ ${command}\n} > ${out}`, `${command}  > ${p.releaseMeta(id)}/${SCHEMA_STATUS_FILE}`);
}

/** The kept output, at most 64 KiB (what the record stores). */
export function readSchemaStatus(p: Paths, id: string): string {
  return `head -c 65536 ${shPath(p.releaseMeta(id))}/${SCHEMA_STATUS_FILE}`;
}

export const statusHash = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 32);

/** Write db.json and the manifest (with its db summary) atomically, via temp files renamed into place. */
export function writeDbRecord(p: Paths, id: string, manifest: object, record: object): ScriptCommand {
  const meta = shPath(p.releaseMeta(id));
  const put = (file: string, data: object) => `printf '%s\\n' ${shq(JSON.stringify(data))} > ${meta}/${file}.tmp && mv -f ${meta}/${file}.tmp ${meta}/${file}`;
  return cmd(
    `mkdir -p ${meta} && ${put(DB_RECORD_FILE, record)} && ${put(FILES.manifest, manifest)}`,
    `write ${p.releaseMeta(id)}/${DB_RECORD_FILE} and the manifest's db summary`,
  );
}

/** A release's db.json (empty output when it has none). */
export function readDbRecord(p: Paths, id: string): string {
  return `cat ${shPath(p.releaseMeta(id))}/${DB_RECORD_FILE} 2>/dev/null || true`;
}
