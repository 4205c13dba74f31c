/**
 * A host's work for one round trip is compiled into a single bash script. Markers on stderr
 * (`\x1e` + S/F/D) tell the control machine which command started, failed or finished, so a
 * failure still names the exact command, its exit code and that command's stderr tail.
 */
import { createHash } from "node:crypto";
import path from "node:path";
import { FILES } from "../config/paths.js";
import { exportLine, shPath, shq } from "./quote.js";

/** What a step's journal entry is keyed by: its phase, directory and exact commands. */
export function sectionHash(sec: Section): string {
  return createHash("sha256")
    .update(JSON.stringify([sec.phase, sec.cwd ?? "", sec.commands.map((c) => c.sh)]))
    .digest("hex")
    .slice(0, 16);
}

/** One command: the shell text that runs and the text we show (never contains secret values we add). */
export interface ScriptCommand {
  sh: string;
  display: string;
}

/** Commands of one lifecycle phase on one host. */
export interface Section {
  phase: string;
  /** Directory each command starts in (each runs in its own subshell). */
  cwd?: string;
  commands: ScriptCommand[];
  /** How long this section may run on a host before the host counts as stuck (none: no limit). */
  timeoutMs?: number;
  /**
   * Its commands read the data sent after the script (the upload) on fd 3. One round trip then
   * carries both: bash reads a script from a pipe a byte at a time, so it never reads past `}`.
   */
  payload?: boolean;
}

export interface HostScript {
  sections: Section[];
  env: Record<string, string>;
  /** Append `phase<TAB>hash<TAB>time` to this file as each section completes (the step journal). */
  journal?: string;
}

const MARK = "\x1e";

/** Build a ScriptCommand from shell text that is already safely quoted. */
export const cmd = (sh: string, display = sh): ScriptCommand => ({ sh, display });

export function compileScript(script: HostScript): string {
  const reader = script.sections.findIndex((sec) => sec.payload);
  // fd 3 keeps the data after the script for the section that reads it; every command gets /dev/null as stdin.
  const out: string[] = ["{", reader >= 0 ? "exec 3<&0 0</dev/null" : "exec 0</dev/null", "set -o pipefail"];
  for (const [k, v] of Object.entries(script.env)) out.push(exportLine(k, v));
  // Markers go to both streams so each stream's lines are attributed to the right command.
  out.push(`__m() { printf '${MARK}%s\\n' "$*"; printf '${MARK}%s\\n' "$*" >&2; }`);
  if (script.journal) {
    // A resume first stops what an interrupted run left behind on this host: record our process
    // group beside the journal (`Paths.releasePgid`; not a field of its own, so plans print as before).
    const meta = shPath(path.posix.dirname(script.journal));
    // Shell builtins only (test, read, printf): two processes fewer per script on every host.
    out.push(
      `{ [ -d ${meta} ] || mkdir -p ${meta}; read -r _ _ _ _ __g _ < /proc/$$/stat && printf '%s\\n' "$__g" > ${meta}/${FILES.pgid}; } 2>/dev/null || true`,
    );
  }
  script.sections.forEach((sec, si) => {
    sec.commands.forEach((c, ci) => {
      const body = sec.cwd ? `cd ${shPath(sec.cwd)} && { ${c.sh}\n}` : `{ ${c.sh}\n}`;
      out.push(`__m S ${si} ${ci}`);
      out.push(`( ${body} ); __rc=$?; [ $__rc -eq 0 ] || { __m F ${si} ${ci} $__rc; exit $__rc; }`);
    });
    if (script.journal) {
      // bash's own clock format, not $(date): no process per section.
      out.push(`TZ=UTC0 printf '%s\\t%s\\t%(%Y-%m-%dT%H:%M:%SZ)T\\n' ${shq(sec.phase)} ${sectionHash(sec)} -1 >> ${shPath(script.journal)} || true`);
    }
    if (si === reader) out.push("exec 3<&-");
    out.push(`__m D ${si}`);
  });
  out.push("exit 0", "}");
  return out.join("\n") + "\n";
}

export type Marker =
  | { kind: "S"; section: number; command: number }
  | { kind: "F"; section: number; command: number; code: number }
  | { kind: "D"; section: number };

/** Parse a stderr line; returns a marker or null for ordinary output. */
export function parseMarker(line: string): Marker | null {
  if (!line.startsWith(MARK)) return null;
  const [kind, a, b, c] = line.slice(1).trim().split(" ");
  if (kind === "S") return { kind, section: Number(a), command: Number(b) };
  if (kind === "F") return { kind, section: Number(a), command: Number(b), code: Number(c) };
  if (kind === "D") return { kind, section: Number(a) };
  return null;
}
