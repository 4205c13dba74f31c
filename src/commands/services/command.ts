/** The command backend: the app's own start/stop/reload/status commands, run in `current`, and its pid file. */
import path from "node:path";
import type { Service } from "../../config/resolve.js";
import { shPath, shq } from "../quote.js";
import { cmd, type ScriptCommand } from "../script.js";
import type { ServiceAction, ServiceBackend, ServiceContext } from "./backend.js";
import { nulRecords } from "./envfile.js";

/** The status command if there is one, else the pid file's process, else nothing to check. */
function commandAlive(svc: Service, c: ServiceContext): string {
  if (svc.status) return `{ ( cd ${shPath(c.paths.current)} && ${svc.status}\n) ; }`;
  if (!svc.pidFile) return "true";
  const pf = shPath(path.posix.join(c.paths.root, svc.pidFile));
  // The pid file is host data: only digits count. A zombie is not alive (containers often have no init reaping them).
  return `{ p=$(cat ${pf} 2>/dev/null); case "$p" in ''|*[!0-9]*) false;; esac && kill -0 "$p" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ] || { printf '%s\\n' ${shq(`no live process for ${svc.pidFile}`)}; false; }; }`;
}

/** The configured command for the action, in `current`; restart and a reload without a reload command are stop + start. */
function commandAction(svc: Service, c: ServiceContext, action: ServiceAction): ScriptCommand {
  const label = `${action} ${svc.name}`;
  const inCurrent = (x: string) => `cd ${shPath(c.paths.current)} && { ${x}\n}`;
  if (action === "status") return cmd(commandAlive(svc, c), label);
  if (action === "start") return cmd(inCurrent(svc.start!), label);
  if (action === "stop") return cmd(inCurrent(svc.stop!), label);
  if (action === "reload" && svc.reload) return cmd(inCurrent(svc.reload), label);
  // Restart = stop it if it runs, then start: a first deploy finds nothing to stop.
  return cmd(
    `if ${commandAlive(svc, c)} >/dev/null 2>&1; then ( ${inCurrent(svc.stop!)}
) || exit $?; fi; ${inCurrent(svc.start!)}`,
    label,
  );
}

/** The command backend; it installs nothing (the app's commands are in the release). */
export const command: ServiceBackend = {
  // No loader of its own reads an env file; written on request, it holds the same NUL records as supervisord's.
  envBody: nulRecords,
  install: () => null,
  action: commandAction,
  alive: commandAlive,
};
