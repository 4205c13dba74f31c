/** Builders for pushing settings files and the drift guard's record on each host. */
import path from "node:path";
import type { Paths } from "../config/paths.js";
import { and, shPath, shq } from "./quote.js";
import { cmd, type ScriptCommand } from "./script.js";

export interface PushRecord {
  revision: string | null;
  revisionTime: number | null;
  toolVersion: string;
  by: string;
  at: string;
  forced: boolean;
  files: Record<string, string>;
}

export const destPath = (p: Paths, dest: string) => (dest.startsWith("/") || dest.startsWith("~/") ? dest : path.posix.join(p.root, dest));
const statePath = (p: Paths) => path.posix.join(p.meta, "config-state.json");

/** Print each file's current content between markers, plus the last push record. */
export function readPushed(p: Paths, dests: string[]): string {
  const files = dests.map((d) => `printf '\\036FILE %s\\n' ${shq(d)}; cat ${shPath(destPath(p, d))} 2>/dev/null; printf '\\n\\036END\\n'`);
  return [`printf '\\036STATE\\n'; cat ${shPath(statePath(p))} 2>/dev/null; printf '\\n\\036END\\n'`, ...files].join("\n");
}

export function parsePushed(out: string): { state: PushRecord | null; files: Record<string, string | null> } {
  const files: Record<string, string | null> = {};
  let state: PushRecord | null = null;
  const re = /\x1e(STATE|FILE ([^\n]*))\n([\s\S]*?)\n\x1eEND\n/g;
  for (let m = re.exec(out); m; m = re.exec(out)) {
    if (m[1] === "STATE") {
      try {
        state = m[3]!.trim() ? (JSON.parse(m[3]!) as PushRecord) : null;
      } catch {
        state = null;
      }
    } else files[m[2]!] = m[3]!;
  }
  return { state, files };
}

/** Write one file atomically with its mode (0600 for secrets: umask first, so it is never readable). */
export function writeFile(p: Paths, dest: string, content: string, mode: string): ScriptCommand {
  const d = shPath(destPath(p, dest));
  const tmp = shPath(`${destPath(p, dest)}.slipway-tmp`);
  return cmd(
    and(`mkdir -p "$(dirname ${d})"`, `(umask 077 && printf '%s' ${shq(content)} > ${tmp})`, `chmod ${mode} ${tmp}`, `mv -f ${tmp} ${d}`),
    `write ${dest} (mode ${mode})`,
  );
}

export function writeRecord(p: Paths, rec: PushRecord): ScriptCommand {
  return cmd(and(`mkdir -p ${shPath(p.meta)}`, `printf '%s\\n' ${shq(JSON.stringify(rec))} > ${shPath(statePath(p))}`), "record the push (drift guard)");
}
