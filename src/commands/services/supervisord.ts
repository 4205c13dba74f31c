/** The supervisord backend: program files that load a 0600 env file, and supervisorctl actions. */
import path from "node:path";
import type { Paths } from "../../config/paths.js";
import type { Service } from "../../config/resolve.js";
import { and, shPath, shq } from "../quote.js";
import { cmd, type ScriptCommand } from "../script.js";
import type { ServiceAction, ServiceBackend, ServiceContext } from "./backend.js";
import { envFileCommand, envFilePath, nulRecords } from "./envfile.js";

export const ctl = (c: ServiceContext) => `supervisorctl -c ${shPath(c.supervisor.config)}`;

/** The loader supervisord runs: NUL-terminated `NAME=value` records become the environment without any parsing, then exec the command. */
const SUPERVISOR_LOADER = 'while IFS= read -r -d "" kv; do export "$kv"; done <"$0" && exec "$@"';

/** A value inside supervisord's command=: shlex (POSIX) quoting as in a shell, `%` doubled for its interpolation. */
const supervisorArg = (v: string) => `'${v.replace(/'/g, "'\\''")}'`.replace(/%/g, "%%");

/** The file supervisord writes a service's output to (stdout_logfile; stderr is redirected into it). */
export function supervisorLogFile(svc: Service, paths: Paths): string {
  return path.posix.join(paths.shared, `${svc.name}.log`);
}

/**
 * The supervisord program section for a service; its directory is `current`, so a restart picks up
 * the new release. supervisord has no env-file option and its `environment=` parser mangles quotes,
 * `#`, `;` and newlines, so the program runs through a bash loader that reads the 0600 env file.
 */
export function supervisorProgram(svc: Service, c: ServiceContext, home = "$HOME", directory = c.paths.current): string {
  const expand = (p: string) => (p.startsWith("~/") ? `${home}/${p.slice(2)}` : p);
  return [
    `[program:${svc.program}]`,
    `command=/bin/bash -c ${supervisorArg(SUPERVISOR_LOADER)} ${supervisorArg(expand(envFilePath(svc, c)))} ${svc.command}`,
    `directory=${expand(directory)}`,
    "autostart=true",
    "autorestart=true",
    "startsecs=1",
    "stopasgroup=true",
    "killasgroup=true",
    "stopwaitsecs=10",
    `stdout_logfile=${expand(supervisorLogFile(svc, c.paths))}`,
    "redirect_stderr=true",
    "",
  ].join("\n");
}

/** The program file of a service under the include dir (quoted for the shell). */
export const programFile = (svc: Service, c: ServiceContext): string => `${shPath(c.supervisor.includeDir)}/${shq(`${svc.program}.conf`)}`;

/**
 * Write the env file, then the program file if it changed, and let supervisord pick it up (reread + update).
 * `directory` is where the program runs: `current` for services restarted in place, a release for cutover slots.
 */
export function installSupervisorProgram(svc: Service, c: ServiceContext, directory = c.paths.current): ScriptCommand {
  const file = programFile(svc, c);
  // The home directory is filled in by the host's shell when the file is written.
  const text = supervisorProgram(svc, c, "__SLIPWAY_HOME__", directory);
  return cmd(
    and(
      envFileCommand(svc, c, nulRecords(c.env)).sh,
      `mkdir -p ${shPath(c.supervisor.includeDir)} ${shPath(c.paths.shared)}`,
      `new=$(printf '%s' ${shq(text)} | sed "s#__SLIPWAY_HOME__#$HOME#g")`,
      `{ [ -f ${file} ] && [ "$(cat ${file})" = "$new" ] || { (umask 077 && printf '%s\\n' "$new" > ${file}) && ${ctl(c)} reread >/dev/null && ${ctl(c)} update ${shq(svc.program)} >/dev/null; }; }`,
    ),
    `install supervisord program ${svc.program}`,
  );
}

/** start/stop/restart/reload/status through supervisorctl (reload is a restart: supervisord has no reload). */
function supervisorAction(svc: Service, c: ServiceContext, action: ServiceAction): ScriptCommand {
  const verb = action === "reload" ? "restart" : action;
  // supervisorctl exits 0 even for some failures; the output is checked too.
  return cmd(
    `out=$(${ctl(c)} ${verb} ${shq(svc.program)} 2>&1); echo "$out"; case "$out" in *"already started"*|*"not running"*) ;; *ERROR*|*FATAL*) exit 1;; esac`,
    `${action} ${svc.name}`,
  );
}

/** supervisord's answer for the program is RUNNING; otherwise its status line is printed. */
function supervisorAlive(svc: Service, c: ServiceContext): string {
  return `{ s=$(${ctl(c)} status ${shq(svc.program)} 2>&1); case "$s" in *RUNNING*) true;; *) echo "$s"; false;; esac; }`;
}

/** The supervisord backend. */
export const supervisord: ServiceBackend = {
  envBody: nulRecords,
  install: installSupervisorProgram,
  action: supervisorAction,
  alive: supervisorAlive,
};
