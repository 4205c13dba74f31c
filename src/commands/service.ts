/** Pure builders for services: supervisord programs, systemd units, command backends, health checks. */
import path from "node:path";
import type { Paths } from "../config/paths.js";
import type { Service } from "../config/resolve.js";
import { and, argv, shPath, shq } from "./quote.js";
import { cmd, type ScriptCommand } from "./script.js";

export type ServiceAction = "start" | "stop" | "restart" | "reload" | "status";

export interface ServiceContext {
  paths: Paths;
  supervisor: { config: string; includeDir: string };
  /** Environment passed to the program (supervisord `environment=`). */
  env: Record<string, string>;
}

const ctl = (c: ServiceContext) => `supervisorctl -c ${shPath(c.supervisor.config)}`;

/** The supervisord program section for a service; its directory is `current`, so a restart picks up the new release. */
export function supervisorProgram(svc: Service, c: ServiceContext, home = "$HOME"): string {
  const expand = (p: string) => (p.startsWith("~/") ? `${home}/${p.slice(2)}` : p);
  const envLine = Object.entries(c.env)
    .map(([k, v]) => `${k}="${v.replace(/["%\\]/g, (m) => (m === "%" ? "%%" : `\\${m}`))}"`)
    .join(",");
  return [
    `[program:${svc.program}]`,
    `command=${svc.command}`,
    `directory=${expand(c.paths.current)}`,
    "autostart=true",
    "autorestart=true",
    "startsecs=1",
    "stopasgroup=true",
    "killasgroup=true",
    "stopwaitsecs=10",
    `stdout_logfile=${expand(path.posix.join(c.paths.shared, `${svc.name}.log`))}`,
    "redirect_stderr=true",
    ...(envLine ? [`environment=${envLine}`] : []),
    "",
  ].join("\n");
}

/** Write the program file if it changed and let supervisord pick it up (reread + update). */
export function installSupervisorProgram(svc: Service, c: ServiceContext): ScriptCommand {
  const file = `${shPath(c.supervisor.includeDir)}/${shq(`${svc.program}.conf`)}`;
  // The home directory is filled in by the host's shell when the file is written.
  const text = supervisorProgram(svc, c, "__SLIPWAY_HOME__");
  return cmd(
    and(
      `mkdir -p ${shPath(c.supervisor.includeDir)} ${shPath(c.paths.shared)}`,
      `new=$(printf '%s' ${shq(text)} | sed "s#__SLIPWAY_HOME__#$HOME#g")`,
      `{ [ -f ${file} ] && [ "$(cat ${file})" = "$new" ] || { (umask 077 && printf '%s\\n' "$new" > ${file}) && ${ctl(c)} reread >/dev/null && ${ctl(c)} update ${shq(svc.program)} >/dev/null; }; }`,
    ),
    `install supervisord program ${svc.program}`,
  );
}

/** The systemd unit for a service (rendered here; installed with sudo by operators or a hook). */
export function systemdUnit(svc: Service, c: ServiceContext, user: string, home: string): string {
  const expand = (p: string) => (p.startsWith("~/") ? `${home}/${p.slice(2)}` : p);
  return [
    "[Unit]",
    `Description=${svc.program} (deployed by slipway)`,
    "After=network.target",
    "",
    "[Service]",
    "Type=simple",
    `User=${user}`,
    `WorkingDirectory=${expand(c.paths.current)}`,
    `ExecStart=/bin/bash -lc ${systemdQuote(`exec ${svc.command}`)}`,
    ...Object.entries(c.env).map(([k, v]) => `Environment=${systemdQuote(`${k}=${v}`)}`),
    "Restart=on-failure",
    "KillMode=control-group",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/** systemd's own quoting: double quotes, backslash-escaped, `%` doubled, `$` doubled. */
export function systemdQuote(v: string): string {
  return `"${v.replace(/[\\"]/g, (m) => `\\${m}`).replace(/%/g, "%%").replace(/\$/g, "$$$$").replace(/\n/g, "\\n")}"`;
}

/**
 * Install or refresh the systemd unit (needs passwordless sudo for these two commands) and reload
 * systemd when it changed. The user and home are the deploy user's, filled in on the host.
 */
export function installSystemdUnit(svc: Service, c: ServiceContext): ScriptCommand {
  const unit = systemdUnit(svc, c, "__SLIPWAY_USER__", "__SLIPWAY_HOME__");
  const file = `/etc/systemd/system/${svc.program}.service`;
  return cmd(
    and(
      `new=$(printf '%s' ${shq(unit)} | sed -e "s#__SLIPWAY_USER__#$(id -un)#g" -e "s#__SLIPWAY_HOME__#$HOME#g")`,
      `{ [ "$(cat ${shq(file)} 2>/dev/null)" = "$new" ] || { printf '%s\n' "$new" | sudo -n tee ${shq(file)} >/dev/null && sudo -n chmod 600 ${shq(file)} && sudo -n systemctl daemon-reload; }; }`,
    ),
    `install systemd unit ${svc.program}.service`,
  );
}

/** Is the service's process up? (supervisord RUNNING, systemd active, or the pid file's process alive). */
export function aliveCheck(svc: Service, c: ServiceContext): string {
  switch (svc.backend) {
    case "supervisord":
      return `{ s=$(${ctl(c)} status ${shq(svc.program)} 2>&1); case "$s" in *RUNNING*) true;; *) echo "$s"; false;; esac; }`;
    case "systemd":
      return `{ s=$(systemctl is-active ${shq(`${svc.program}.service`)} 2>&1); [ "$s" = active ] || { echo "systemd: $s"; false; }; }`;
    case "command": {
      if (svc.status) return `{ ( cd ${shPath(c.paths.current)} && ${svc.status}\n) ; }`;
      if (!svc.pidFile) return "true";
      const pf = shPath(path.posix.join(c.paths.root, svc.pidFile));
      // A zombie is not alive (containers often have no init reaping them).
      return `{ p=$(cat ${pf} 2>/dev/null); [ -n "$p" ] && kill -0 "$p" 2>/dev/null && [ "$(awk '{print $3}' /proc/$p/stat 2>/dev/null)" != Z ] || { echo "no live process for ${svc.pidFile}"; false; }; }`;
    }
  }
}

/** One health probe: process alive, then the HTTP or TCP check. Prints what it saw. */
export function healthProbe(svc: Service, c: ServiceContext): string {
  const parts = [aliveCheck(svc, c)];
  const h = svc.health;
  if (h?.http) {
    parts.push(
      `{ code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 ${shq(h.http)} 2>/dev/null); [ "$code" = 000 ] && code=; [ "$code" = ${h.expect} ] || { echo "GET ${h.http} → \${code:-no answer} (expected ${h.expect})"; false; }; }`,
    );
  }
  if (h?.tcp) {
    const [host, port] = h.tcp.split(":");
    parts.push(`{ (exec 3<>/dev/tcp/${shq(host!)}/${Number(port)}) 2>/dev/null || { echo "TCP ${h.tcp} refused"; false; }; }`);
  }
  return parts.join(" && ");
}

/** Wait until healthy, up to the service's timeout; on timeout, fail with the last probe output. */
export function healthWait(svc: Service, c: ServiceContext): ScriptCommand {
  const t = svc.health?.timeout ?? 30;
  const sh =
    `end=$(( $(date +%s) + ${t} )); while :; do out=$(${healthProbe(svc, c)} 2>&1) && break; ` +
    `if [ "$(date +%s)" -ge "$end" ]; then echo ${shq(`service ${svc.name} unhealthy after ${t}s:`)} "$out" >&2; exit 1; fi; sleep 0.3; done`;
  return cmd(sh, `wait for ${svc.name} to be healthy${svc.health?.http ? ` (GET ${svc.health.http})` : svc.health?.tcp ? ` (TCP ${svc.health.tcp})` : ""}`);
}

/** start/stop/restart/reload/status for a service. */
export function serviceAction(svc: Service, c: ServiceContext, action: ServiceAction): ScriptCommand {
  const label = `${action} ${svc.name}`;
  switch (svc.backend) {
    case "supervisord": {
      const verb = action === "reload" ? "restart" : action;
      // supervisorctl exits 0 even for some failures; the output is checked too.
      return cmd(`out=$(${ctl(c)} ${verb} ${shq(svc.program)} 2>&1); echo "$out"; case "$out" in *"already started"*|*"not running"*) ;; *ERROR*|*FATAL*) exit 1;; esac`, label);
    }
    case "systemd":
      return cmd(argv("sudo", "-n", "systemctl", action === "status" ? "status" : action, `${svc.program}.service`), label);
    case "command": {
      const inCurrent = (x: string) => `cd ${shPath(c.paths.current)} && { ${x}\n}`;
      if (action === "status") return cmd(aliveCheck(svc, c), label);
      if (action === "start") return cmd(inCurrent(svc.start!), label);
      if (action === "stop") return cmd(inCurrent(svc.stop!), label);
      if (action === "reload" && svc.reload) return cmd(inCurrent(svc.reload), label);
      // Restart = stop it if it runs, then start: a first deploy finds nothing to stop.
      return cmd(`if ${aliveCheck(svc, c)} >/dev/null 2>&1; then ( ${inCurrent(svc.stop!)}
) || exit $?; fi; ${inCurrent(svc.start!)}`, label);
    }
  }
}

/** Services that run on a host (by role). */
export function servicesOn(services: Service[], roles: string[]): Service[] {
  return services.filter((s) => !s.roles || s.roles.some((r) => roles.includes(r)));
}

/** One line per service: `SVC<TAB>name<TAB>ok|down<TAB>probe output` (a single probe, no waiting). */
export function serviceReport(services: Service[], c: ServiceContext): string {
  return services
    .map((svc) => `out=$(${healthProbe(svc, c)} 2>&1) && st=ok || st=down; printf 'SVC\\t%s\\t%s\\t%s\\n' ${shq(svc.name)} "$st" "$(printf '%s' "$out" | tr '\\n\\t' '  ' | cut -c1-300)"`)
    .join("\n");
}

export interface ServiceState {
  service: string;
  ok: boolean;
  output: string;
}

export function parseServiceReport(out: string): ServiceState[] {
  return out
    .split("\n")
    .filter((l) => l.startsWith("SVC\t"))
    .map((l) => {
      const [, service, st, output] = l.split("\t");
      return { service: service!, ok: st === "ok", output: (output ?? "").trim() };
    });
}
