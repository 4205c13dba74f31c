/** Builders for pushing settings files and the drift guard's record on each host. */
import { createHmac } from "node:crypto";
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
  /** dest → keyed hash (`hmac-sha256:…`; plain sha256 in records from older versions). */
  files: Record<string, string>;
  /** Files that carried secrets when pushed: their old content is never shown in a diff. */
  secret?: string[];
}

export const destPath = (p: Paths, dest: string) => (dest.startsWith("/") || dest.startsWith("~/") ? dest : path.posix.join(p.root, dest));
// The per-environment key of the recorded hashes (p.configStateKey): a plain sha256 of a short
// secret in a file anyone can read could be brute-forced offline; an HMAC under a 0600 key cannot.
const KEY = /^[0-9a-f]{64}$/;

/** The recorded hash of a pushed file, keyed so it reveals nothing about a secret in it. */
export function fileHash(key: string, content: string): string {
  return `hmac-sha256:${createHmac("sha256", key).update(content).digest("hex")}`;
}

/** Print each file's current content between markers, plus the last push record. */
export function readPushed(p: Paths, dests: string[]): string {
  const files = dests.map((d) => `printf '\\036FILE %s\\n' ${shq(d)}; cat ${shPath(destPath(p, d))} 2>/dev/null; printf '\\n\\036END\\n'`);
  const key = `printf '\\036KEY\\n'; cat ${shPath(p.configStateKey)} 2>/dev/null; printf '\\n\\036END\\n'`;
  return [`printf '\\036STATE\\n'; cat ${shPath(p.configState)} 2>/dev/null; printf '\\n\\036END\\n'`, key, ...files].join("\n");
}

export function parsePushed(out: string): { state: PushRecord | null; files: Record<string, string | null>; key: string | null } {
  const files: Record<string, string | null> = {};
  let state: PushRecord | null = null;
  let key: string | null = null;
  const re = /\x1e(STATE|KEY|FILE ([^\n]*))\n([\s\S]*?)\n\x1eEND\n/g;
  for (let m = re.exec(out); m; m = re.exec(out)) {
    if (m[1] === "KEY") {
      const k = m[3]!.trim();
      key = KEY.test(k) ? k : null;
    } else if (m[1] === "STATE") {
      try {
        state = m[3]!.trim() ? (JSON.parse(m[3]!) as PushRecord) : null;
      } catch {
        state = null;
      }
    } else files[m[2]!] = m[3]!;
  }
  return { state, files, key };
}

/**
 * Write `content` to `file` atomically. The staging file is made by `mktemp` beside the
 * destination (same filesystem, so `mv` is a rename): its name cannot be guessed and it is created
 * exclusively with mode 0600, so a symlink planted at a predictable name cannot redirect the write.
 */
function atomicWrite(file: string, content: string, mode: string): string {
  const d = shPath(file);
  const template = shPath(path.posix.join(path.posix.dirname(file), ".slipway-XXXXXXXX"));
  return and(
    `mkdir -p "$(dirname ${d})"`,
    `tmp=$(mktemp ${template})`,
    `{ printf '%s' ${shq(content)} > "$tmp" && chmod ${mode} "$tmp" && mv -f "$tmp" ${d} || { rm -f "$tmp"; false; }; }`,
  );
}

/** Write one file atomically with its mode (0600 for secrets: never readable by others, even while staged). */
export function writeFile(p: Paths, dest: string, content: string, mode: string): ScriptCommand {
  return cmd(atomicWrite(destPath(p, dest), content, mode), `write ${dest} (mode ${mode})`);
}

/** Store the key of the recorded hashes (0600), once per environment. */
export function writeHashKey(p: Paths, key: string): ScriptCommand {
  return cmd(atomicWrite(p.configStateKey, key + "\n", "0600"), "create the config-state key");
}

export function writeRecord(p: Paths, rec: PushRecord): ScriptCommand {
  return cmd(atomicWrite(p.configState, JSON.stringify(rec) + "\n", "0600"), "record the push (drift guard)");
}
