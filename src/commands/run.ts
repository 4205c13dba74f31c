/**
 * One-off commands in the current release: alias command lines, detached runs (`run --detach`,
 * state in files under `.slipway/runs/<id>/` like the pre-steps') and the interactive wrapper
 * (`run -i`, interactive aliases), whose environment reaches the host in a 0600 file, never on a
 * command line.
 */
import type { Paths } from "../config/paths.js";
import { argv, exportLine, shPath, shq } from "./quote.js";
import { cmd, type ScriptCommand } from "./script.js";

/** Files of a run's state directory. */
const RUN_FILES = { status: "status", exit: "exit", started: "started", finished: "finished", pid: "pid", log: "log", env: "env" } as const;

/** `<command> 'arg1' 'arg 2'`: the alias's shell text, then its arguments quoted one by one. */
export function aliasCommand(command: string, args: readonly string[]): string {
  return args.length ? `${command} ${argv(...args)}` : command;
}

/** A run id: UTC time and 6 hex digits of randomness (`20261122-050403-9f3a1c`), also a directory name. */
export function newRunId(now: Date, randomHex: string): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  const d = now;
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}-${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}-${randomHex.slice(0, 6)}`;
}

const UTC_NOW = "date -u +%Y-%m-%dT%H:%M:%SZ";

/**
 * Start `command` detached in `cwd` (setsid + nohup, no inherited stdio), so it outlives the SSH
 * connection; it inherits the script's exported environment. Prints `RUN started <pid>`.
 */
export function startDetached(p: Paths, id: string, cwd: string, command: string): ScriptCommand {
  const d = shPath(p.runDir(id));
  // The body finds its directory in $SLIPWAY_RUN_DIR, so the path is quoted once, here.
  const body =
    `( ${command}\n); rc=$?; echo $rc > "$SLIPWAY_RUN_DIR/${RUN_FILES.exit}"; ${UTC_NOW} > "$SLIPWAY_RUN_DIR/${RUN_FILES.finished}"; ` +
    `if [ $rc = 0 ]; then printf done > "$SLIPWAY_RUN_DIR/${RUN_FILES.status}"; else printf failed > "$SLIPWAY_RUN_DIR/${RUN_FILES.status}"; fi`;
  const sh =
    // cd first: a missing release leaves no run behind that claims to be running. The directory is
    // private (0700): the log may hold whatever the command prints.
    `cd ${shPath(cwd)} && (umask 077 && mkdir -p ${d}) && export SLIPWAY_RUN_DIR=${d} SLIPWAY_RUN_ID=${shq(id)} && ` +
    `printf running > ${d}/${RUN_FILES.status} && ${UTC_NOW} > ${d}/${RUN_FILES.started} && { setsid nohup bash -c ${shq(body)} > ${d}/${RUN_FILES.log} 2>&1 < /dev/null & echo $! > ${d}/${RUN_FILES.pid}; } && echo "RUN started $(cat ${d}/${RUN_FILES.pid})"`;
  return cmd(sh, `start (detached, run ${id}) in ${cwd}: ${command}`);
}

/** Prints STATUS (none|running|done|failed|died), STARTED, FINISHED, EXIT and the log tail as LOG lines. */
export function checkDetached(p: Paths, id: string, logLines = 15): string {
  const d = shPath(p.runDir(id));
  return [
    `if [ ! -f ${d}/${RUN_FILES.status} ]; then echo "STATUS none"; exit 0; fi`,
    `st=$(cat ${d}/${RUN_FILES.status})`,
    // A process that died without writing its status (host reboot, kill -9) is reported as died.
    `if [ "$st" = running ] && ! kill -0 "$(cat ${d}/${RUN_FILES.pid} 2>/dev/null)" 2>/dev/null; then sleep 0.2; st=$(cat ${d}/${RUN_FILES.status}); [ "$st" = running ] && st=died; fi`,
    `echo "STATUS $st"`,
    `echo "STARTED $(cat ${d}/${RUN_FILES.started} 2>/dev/null)"`,
    `echo "FINISHED $(cat ${d}/${RUN_FILES.finished} 2>/dev/null)"`,
    `echo "EXIT $(cat ${d}/${RUN_FILES.exit} 2>/dev/null)"`,
    `tail -n ${Math.max(1, Math.floor(logLines))} ${d}/${RUN_FILES.log} 2>/dev/null | sed 's/^/LOG /'`,
  ].join("\n");
}

/**
 * Write the command's environment as `export` lines into a 0600 file in a 0700 run directory. The
 * values are in this script (fed on stdin) and written by bash's `printf` builtin: no process is
 * started with them as arguments, so they never show in `ps`.
 */
export function writeEnvFile(p: Paths, id: string, env: Record<string, string>): ScriptCommand {
  const d = shPath(p.runDir(id));
  const lines = Object.entries(env).map(([k, v]) => shq(exportLine(k, v)));
  const write = lines.length ? `printf '%s\\n' ${lines.join(" ")} > ${d}/${RUN_FILES.env}` : `: > ${d}/${RUN_FILES.env}`;
  return cmd(`umask 077 && mkdir -p ${d} && chmod 700 ${d} && ${write}`, `write the environment of run ${id} (0600)`);
}

/** Remove a run's state directory (an interactive run's env file, if the remote side never read it). */
export function removeRunDir(p: Paths, id: string): ScriptCommand {
  return cmd(`rm -rf ${shPath(p.runDir(id))}`, `remove run ${id}'s directory`);
}

/**
 * The remote command of an interactive run (given to `ssh -t`): read the env file, delete it and its
 * directory at once, then run the command in `cwd`. Only the file's path is on the command line.
 * It runs under bash whatever the login shell is, so it behaves like `run` without `-i`.
 */
export function interactiveRemote(p: Paths, id: string, cwd: string, command: string): string {
  const d = shPath(p.runDir(id));
  const inner =
    `__f=${d}/${RUN_FILES.env}; if [ ! -f "$__f" ]; then echo "slipway: the environment file of run ${id} is missing" >&2; exit 255; fi; ` +
    `. "$__f"; rm -rf ${d}; cd ${shPath(cwd)} || exit 255\n${command}`;
  return argv("bash", "-c", inner);
}
