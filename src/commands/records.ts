/**
 * Small JSON records kept on the environment's primary under `.slipway/<kind>/<id>.json`
 * (downtime announcements, manual tasks), so every control machine sees the same ones.
 * Written atomically (tmp + mv); ids are validated before they become part of a path.
 */
import type { Paths } from "../config/paths.js";
import { shPath, shq } from "./quote.js";

export type RecordKind = "announcements" | "tasks";

/** What an id may look like (`a-3f09c1`, `t-9b2e77`): it becomes a file name. */
export const RECORD_ID = /^[a-z][a-z0-9-]{0,62}$/;

export function recordDir(p: Paths, kind: RecordKind): string {
  return `${p.meta}/${kind}`;
}

function checkId(id: string): string {
  if (!RECORD_ID.test(id)) throw new Error(`invalid record id ${JSON.stringify(id)}`);
  return id;
}

/** Write one record atomically (a reader never sees half a file). */
export function writeRecord(p: Paths, kind: RecordKind, id: string, json: string): string {
  const d = shPath(recordDir(p, kind));
  const f = checkId(id);
  return `mkdir -p ${d} && printf '%s\\n' ${shq(json)} > ${d}/.${f}.tmp && mv -f ${d}/.${f}.tmp ${d}/${f}.json`;
}

/** Every record as one line: `<file name>\t<json on one line>` (each file read at most 64 KiB). */
export function listRecords(p: Paths, kind: RecordKind): string {
  const d = shPath(recordDir(p, kind));
  return `for f in ${d}/*.json; do [ -f "$f" ] || continue; printf '%s\\t' "\${f##*/}"; head -c 65536 "$f" | tr -d '\\n'; echo; done; true`;
}

/** The primary's current release directory name (empty when none). */
export function currentRelease(p: Paths): string {
  return `readlink ${shPath(p.current)} 2>/dev/null; true`;
}
