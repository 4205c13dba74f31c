/** Pure builders for services: supervisord programs, systemd units, command backends, health checks. */
import path from "node:path";
import type { Paths } from "../config/paths.js";
import type { Service } from "../config/resolve.js";
import { and, argv, ENV_NAME, shPath, shq } from "./quote.js";
import { cmd, type ScriptCommand } from "./script.js";

export type ServiceAction = "start" | "stop" | "restart" | "reload" | "status";

export interface ServiceContext {
  paths: Paths;
  supervisor: { config: string; includeDir: string };
  /** Environment passed to the program (through its 0600 env file). */
  env: Record<string, string>;
}

const ctl = (c: ServiceContext) => `supervisorctl -c ${shPath(c.supervisor.config)}`;

/** Where a service's environment lives on the host (dir 0700, file 0600): secrets stay out of program files and units. */
export function envFilePath(svc: Service, c: ServiceContext): string {
  return path.posix.join(c.paths.meta, "env", `${svc.program}.env`);
}

const checkedEnv = (env: Record<string, string>) =>
  Object.entries(env).map(([k, v]) => {
    if (!ENV_NAME.test(k)) throw new Error(`invalid environment variable name: ${JSON.stringify(k)}`);
    return [k, v] as const;
  });

/**
 * systemd's EnvironmentFile= syntax: a double-quoted value may span lines and keeps every byte
 * except `"`, `\`, `` ` `` and `$`, which take a backslash (systemd.exec(5); env-file.c). `$` is not
 * doubled: unlike ExecStart=, systemd never expands variables in an environment file.
 */
export function systemdEnvFile(env: Record<string, string>): string {
  return checkedEnv(env)
    .map(([k, v]) => `${k}="${v.replace(/["\\`$]/g, (m) => `\\${m}`)}"\n`)
    .join("");
}

/** The loader supervisord runs: NUL-terminated `NAME=value` records become the environment without any parsing, then exec the command. */
const SUPERVISOR_LOADER = 'while IFS= read -r -d "" kv; do export "$kv"; done <"$0" && exec "$@"';

/**
 * (Re)write a service's env file atomically: an exclusively created, unpredictable temp file
 * (mktemp, 0600) in the same 0700 directory, renamed over the old one. supervisord gets NUL records
 * for the loader, systemd its EnvironmentFile= syntax.
 */
export function writeEnvFile(svc: Service, c: ServiceContext): ScriptCommand {
  const file = envFilePath(svc, c);
  const entries = checkedEnv(c.env);
  const body =
    svc.backend === "systemd"
      ? `printf '%s' ${shq(systemdEnvFile(c.env))}`
      : entries.length
        ? `printf '%s\\0' ${entries.map(([k, v]) => shq(`${k}=${v}`)).join(" ")}`
        : "printf ''";
  const dir = shPath(path.posix.dirname(file));
  return cmd(
    and(
      `(umask 077 && mkdir -p ${dir})`,
      `chmod 700 ${dir}`,
      `t=$(mktemp ${dir}/${shq(`.${svc.program}.env.XXXXXXXXXX`)})`,
      `{ { ${body} > "$t" && chmod 600 "$t" && mv -f "$t" ${shPath(file)}; } || { rm -f "$t"; false; }; }`,
    ),
    `write environment file for ${svc.program}`,
  );
}

/** A value inside supervisord's command=: shlex (POSIX) quoting as in a shell, `%` doubled for its interpolation. */
const supervisorArg = (v: string) => `'${v.replace(/'/g, "'\\''")}'`.replace(/%/g, "%%");

/**
 * The supervisord program section for a service; its directory is `current`, so a restart picks up
 * the new release. supervisord has no env-file option and its `environment=` parser mangles quotes,
 * `#`, `;` and newlines, so the program runs through a bash loader that reads the 0600 env file.
 */
export function supervisorProgram(svc: Service, c: ServiceContext, home = "$HOME"): string {
  const expand = (p: string) => (p.startsWith("~/") ? `${home}/${p.slice(2)}` : p);
  return [
    `[program:${svc.program}]`,
    `command=/bin/bash -c ${supervisorArg(SUPERVISOR_LOADER)} ${supervisorArg(expand(envFilePath(svc, c)))} ${svc.command}`,
    `directory=${expand(c.paths.current)}`,
    "autostart=true",
    "autorestart=true",
    "startsecs=1",
    "stopasgroup=true",
    "killasgroup=true",
    "stopwaitsecs=10",
    `stdout_logfile=${expand(path.posix.join(c.paths.shared, `${svc.name}.log`))}`,
    "redirect_stderr=true",
    "",
  ].join("\n");
}

/** Write the env file, then the program file if it changed, and let supervisord pick it up (reread + update). */
export function installSupervisorProgram(svc: Service, c: ServiceContext): ScriptCommand {
  const file = `${shPath(c.supervisor.includeDir)}/${shq(`${svc.program}.conf`)}`;
  // The home directory is filled in by the host's shell when the file is written.
  const text = supervisorProgram(svc, c, "__SLIPWAY_HOME__");
  return cmd(
    and(
      writeEnvFile(svc, c).sh,
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
    // Read by systemd (as root) at each start; values never reach the unit or D-Bus properties.
    `EnvironmentFile=${expand(envFilePath(svc, c)).replace(/%/g, "%%")}`,
    "Restart=on-failure",
    "KillMode=control-group",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/** systemd's quoting for ExecStart=: double quotes, backslash-escaped, `%` doubled, `$` doubled (ExecStart= expands `$NAME`). */
export function systemdQuote(v: string): string {
  return `"${v.replace(/[\\"]/g, (m) => `\\${m}`).replace(/%/g, "%%").replace(/\$/g, "$$$$").replace(/\n/g, "\\n")}"`;
}

/**
 * Write the env file, install or refresh the systemd unit (passwordless sudo for tee, chmod and
 * systemctl) and reload systemd when the unit changed. The unit holds no secrets any more, so it is
 * installed 0644 like any unit and compared by a plain read: no root-only file is read as the deploy
 * user, and a hand edit on the host still counts as a change (a hash kept in our own state would miss it).
 * A unit left 0600 by an older version reads as different once, and is rewritten 0644.
 */
export function installSystemdUnit(svc: Service, c: ServiceContext): ScriptCommand {
  const unit = systemdUnit(svc, c, "__SLIPWAY_USER__", "__SLIPWAY_HOME__");
  const file = `/etc/systemd/system/${svc.program}.service`;
  return cmd(
    and(
      writeEnvFile(svc, c).sh,
      `new=$(printf '%s' ${shq(unit)} | sed -e "s#__SLIPWAY_USER__#$(id -un)#g" -e "s#__SLIPWAY_HOME__#$HOME#g")`,
      `{ [ -r ${shq(file)} ] && [ "$(cat ${shq(file)})" = "$new" ] || { printf '%s\n' "$new" | sudo -n tee ${shq(file)} >/dev/null && sudo -n chmod 644 ${shq(file)} && sudo -n systemctl daemon-reload; }; }`,
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
      // The pid file is host data: only digits count. A zombie is not alive (containers often have no init reaping them).
      return `{ p=$(cat ${pf} 2>/dev/null); case "$p" in ''|*[!0-9]*) false;; esac && kill -0 "$p" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ] || { printf '%s\\n' ${shq(`no live process for ${svc.pidFile}`)}; false; }; }`;
    }
  }
}

/** One health probe: process alive, then the HTTP or TCP check. Prints what it saw. */
export function healthProbe(svc: Service, c: ServiceContext): string {
  const parts = [aliveCheck(svc, c)];
  const h = svc.health;
  if (h?.http) {
    parts.push(
      `{ code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 ${shq(h.http)} 2>/dev/null); [ "$code" = 000 ] && code=; [ "$code" = ${shq(String(h.expect))} ] || { printf '%s\\n' ${shq(`GET ${h.http} → `)}"\${code:-no answer}"${shq(` (expected ${h.expect})`)}; false; }; }`,
    );
  }
  if (h?.tcp) {
    // /dev/tcp is a bash feature, and check-services runs this in the user's login shell: ask bash.
    const i = h.tcp.lastIndexOf(":");
    const probe = argv("bash", "-c", 'exec 3<>"/dev/tcp/$1/$2"', "tcp-probe", h.tcp.slice(0, i), String(Number(h.tcp.slice(i + 1))));
    parts.push(`{ ${probe} 2>/dev/null || { printf '%s\\n' ${shq(`TCP ${h.tcp} refused`)}; false; }; }`);
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
