/**
 * `logs` builders: where each service's log lives on a host (supervisord's stdout_logfile, the
 * systemd journal, the command backend's `log:` file) and the shell that prints or follows it.
 * Pure: shell text only, every path and name through `shq`/`shPath`/`argv`.
 */
import path from "node:path";
import type { Paths } from "../config/paths.js";
import type { Service } from "../config/resolve.js";
import { argv, shPath, shq } from "./quote.js";
import { supervisorLogFile } from "./services/supervisord.js";

/** Where one service's log is read from on a host. */
export type LogSource =
  | { service: string; kind: "file"; path: string; shown: string }
  | { service: string; kind: "journal"; unit: string }
  | { service: string; kind: "none"; note: string };

/** How much to print, and whether to keep following. */
export interface LogOptions {
  lines: number;
  follow: boolean;
  /** Only lines newer than this many seconds (journald always; files only for ISO-timestamped lines). */
  sinceSeconds?: number;
}

/** Printed on stderr (not stdout, where log lines cannot forge it) when the log file does not exist. */
export const NO_FILE_MARKER = "\x1eL nofile";

/** The log of `svc` on a host laid out by `paths`. */
export function logSource(svc: Service, paths: Paths): LogSource {
  if (svc.backend === "systemd") return { service: svc.name, kind: "journal", unit: `${svc.program}.service` };
  if (svc.backend === "supervisord") {
    const file = supervisorLogFile(svc, paths);
    return { service: svc.name, kind: "file", path: file, shown: path.posix.relative(paths.root, file) || file };
  }
  if (!svc.log) return { service: svc.name, kind: "none", note: `no log configured (set services.${svc.name}.log)` };
  return { service: svc.name, kind: "file", path: path.posix.join(paths.root, svc.log), shown: svc.log };
}

/**
 * Keeps lines that start with an ISO-like timestamp (`2024-05-01T12:00:00`, optionally in `[`) at or
 * after the cutoff, and the untimestamped lines that follow them (continuations, stack traces);
 * lines before the first timestamp are kept. A `Z` timestamp is compared with the UTC cutoff, any
 * other with the host's local time. Flushes every line so `-f` stays live through the pipe.
 */
const SINCE_AWK = [
  "BEGIN { keep = 1 }",
  '{ s = $0; if (substr(s, 1, 1) == "[") s = substr(s, 2); t = substr(s, 1, 10) " " substr(s, 12, 8)',
  "  if (t ~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9]$/ && substr(s, 11, 1) ~ /[T ]/) {",
  '    z = substr(s, 20); sub(/^[.,][0-9]+/, "", z); keep = (t >= (substr(z, 1, 1) == "Z" ? u : c)) }',
  "  if (keep) { print; fflush() } }",
].join("\n");

/**
 * The cutoff as the host's local time (`c`) and UTC (`u`), computed on the host with its own clock.
 * Following, mawk (Debian's awk) must be told to read line by line, or it sits on a pipe's lines
 * until a block fills; other awks do not know `-W interactive`, so it is only passed to mawk.
 */
function sinceFilter(seconds: number, follow: boolean): string {
  const at = `"@$(( $(date +%s) - ${Math.floor(seconds)} ))"`;
  const fmt = shq("+%Y-%m-%d %H:%M:%S");
  const awk = follow ? "awk $w" : "awk";
  return `${awk} -v c="$(date -d ${at} ${fmt})" -v u="$(date -u -d ${at} ${fmt})" ${shq(SINCE_AWK)}`;
}

/** Sets `$w` to mawk's line-by-line flag when the host's awk is mawk (POSIX sh: the login shell may not be bash). */
const MAWK_FLAG = "w=; awk -W version 2>&1 | grep -q mawk && w='-W interactive'; ";

/**
 * Print the last `lines` of a log file, then follow it by name (`tail -F`: rotation and a file that
 * appears later are picked up). A missing file prints NO_FILE_MARKER on stderr and, with `follow`,
 * is waited for.
 */
export function fileLogCommand(file: string, o: LogOptions): string {
  const f = shPath(file);
  const tail = (extra: string[]) => argv("tail", "-n", String(o.lines), ...extra);
  const filter = o.sinceSeconds !== undefined ? ` | ${sinceFilter(o.sinceSeconds, o.follow)}` : "";
  const pre = filter && o.follow ? MAWK_FLAG : "";
  const follow = o.follow ? ["-F"] : [];
  // tail -F would complain on stderr until the file appears: that is what the marker already says.
  const waiting = o.follow ? `; ${tail(follow)} -- ${f} 2>/dev/null${filter}` : "";
  return `${pre}if [ -e ${f} ]; then ${tail(follow)} -- ${f}${filter}; else printf '%s\\n' ${shq(NO_FILE_MARKER)} >&2${waiting}; fi`;
}

/**
 * journalctl for a unit, in ISO time, no pager. Through `sudo -n` when passwordless sudo works (as
 * the systemd backend's own calls need); otherwise as the deploy user, who then needs to be in the
 * systemd-journal (or adm) group to see a system unit's journal.
 */
export function journalLogCommand(unit: string, o: LogOptions): string {
  const args = ["journalctl", "-u", unit, "--no-pager", "-o", "short-iso", "-n", String(o.lines)];
  if (o.sinceSeconds !== undefined) args.push(`--since=-${Math.floor(o.sinceSeconds)}s`);
  if (o.follow) args.push("-f");
  return `if sudo -n true 2>/dev/null; then ${argv("sudo", "-n", ...args)}; else ${argv(...args)}; fi`;
}

/** The shell that prints (and with `follow` keeps printing) one source's log; null when there is nothing to read. */
export function logCommand(src: LogSource, o: LogOptions): string | null {
  if (src.kind === "file") return fileLogCommand(src.path, o);
  if (src.kind === "journal") return journalLogCommand(src.unit, o);
  return null;
}

/** Does a log line start with an ISO-like timestamp (what `--since` needs to filter a file)? */
export const hasIsoTimestamp = (line: string) => /^\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}/.test(line);
