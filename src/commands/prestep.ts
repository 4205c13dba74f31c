/**
 * Detached pre-steps: a command started on a host in its own session (setsid, nohup, no inherited
 * stdio) so it outlives the SSH connection and the control machine. Its state lives in files under
 * `.slipway/presteps/<name>/<commit>/`, so any control machine can check on it.
 */
import type { Paths } from "../config/paths.js";
import { shPath, shq } from "./quote.js";
import { cmd, type ScriptCommand } from "./script.js";

/** The pre-step's state directory (Paths names it; the files inside are this state machine's own). */
export function prestepDir(p: Paths, name: string, commit: string): string {
  return p.prestepDir(name, commit);
}

/** Start unless already running or done for this commit. Prints `PRESTEP started|running|done`. */
export function startPrestep(p: Paths, name: string, commit: string, releaseDir: string, command: string): ScriptCommand {
  const d = shPath(prestepDir(p, name, commit));
  const body = `( ${command}\n); rc=$?; echo $rc > "$SLIPWAY_PRESTEP_DIR/exit"; date -u +%Y-%m-%dT%H:%M:%SZ > "$SLIPWAY_PRESTEP_DIR/finished"; if [ $rc = 0 ]; then printf done > "$SLIPWAY_PRESTEP_DIR/status"; else printf failed > "$SLIPWAY_PRESTEP_DIR/status"; fi`;
  const sh =
    `mkdir -p ${d} && export SLIPWAY_PRESTEP_DIR=${d} SLIPWAY_PROGRESS=${d}/progress && ` +
    `if [ -f ${d}/status ] && [ "$(cat ${d}/status)" != failed ]; then echo "PRESTEP $(cat ${d}/status)"; else ` +
    `rm -rf ${d}/exit ${d}/finished ${d}/progress ${d}/notified && printf running > ${d}/status && date -u +%Y-%m-%dT%H:%M:%SZ > ${d}/started && ` +
    `printf '%s\\n' ${shq(releaseDir)} > ${d}/release && ` +
    `cd ${shPath(releaseDir)} && { setsid nohup bash -c ${shq(body)} > ${d}/log 2>&1 < /dev/null & echo $! > ${d}/pid; } && echo "PRESTEP started"; fi`;
  return cmd(sh, `start pre-step ${name} (detached) in ${releaseDir}: ${command}`);
}

/** Prints STATUS (none|running|done|failed|died), PROGRESS, STARTED, FINISHED and LOG lines. */
export function checkPrestep(p: Paths, name: string, commit: string): string {
  const d = shPath(prestepDir(p, name, commit));
  return [
    `if [ ! -f ${d}/status ]; then echo "STATUS none"; exit 0; fi`,
    `st=$(cat ${d}/status)`,
    // A process that died without writing its status (host reboot, kill -9) is reported as died.
    `if [ "$st" = running ] && ! kill -0 "$(cat ${d}/pid 2>/dev/null)" 2>/dev/null; then sleep 0.2; st=$(cat ${d}/status); [ "$st" = running ] && st=died; fi`,
    `echo "STATUS $st"`,
    `echo "PROGRESS $(tail -n 1 ${d}/progress 2>/dev/null)"`,
    `echo "STARTED $(cat ${d}/started 2>/dev/null)"`,
    `echo "FINISHED $(cat ${d}/finished 2>/dev/null)"`,
    `echo "EXIT $(cat ${d}/exit 2>/dev/null)"`,
    `tail -n 15 ${d}/log 2>/dev/null | sed 's/^/LOG /'`,
  ].join("\n");
}

/** Atomically claim the right to send the "finished" notification: prints CLAIMED exactly once. */
export function claimNotification(p: Paths, name: string, commit: string): string {
  return `mkdir ${shPath(prestepDir(p, name, commit))}/notified 2>/dev/null && echo CLAIMED || true`;
}

export interface PrestepStatus {
  status: "none" | "running" | "done" | "failed" | "died";
  progress: string;
  started: string;
  finished: string;
  exit: string;
  log: string[];
}

export function parsePrestep(out: string): PrestepStatus {
  const st: PrestepStatus = { status: "none", progress: "", started: "", finished: "", exit: "", log: [] };
  for (const line of out.split("\n")) {
    const i = line.indexOf(" ");
    const [k, v] = i < 0 ? [line, ""] : [line.slice(0, i), line.slice(i + 1)];
    if (k === "STATUS") st.status = v as PrestepStatus["status"];
    else if (k === "PROGRESS") st.progress = v;
    else if (k === "STARTED") st.started = v;
    else if (k === "FINISHED") st.finished = v;
    else if (k === "EXIT") st.exit = v;
    else if (k === "LOG") st.log.push(v);
  }
  return st;
}
