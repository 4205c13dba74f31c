/** The systemd backend: units with an EnvironmentFile=, installed and driven through passwordless sudo. */
import type { Service } from "../../config/resolve.js";
import { and, argv, shq } from "../quote.js";
import { cmd, type ScriptCommand } from "../script.js";
import type { ServiceAction, ServiceBackend, ServiceContext } from "./backend.js";
import { checkedEnv, envFileCommand, envFilePath } from "./envfile.js";

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

/** Shell printing the systemd env file. */
const systemdEnvBody = (env: Record<string, string>) => `printf '%s' ${shq(systemdEnvFile(env))}`;

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
  return `"${v
    .replace(/[\\"]/g, (m) => `\\${m}`)
    .replace(/%/g, "%%")
    .replace(/\$/g, "$$$$")
    .replace(/\n/g, "\\n")}"`;
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
      envFileCommand(svc, c, systemdEnvBody(c.env)).sh,
      `new=$(printf '%s' ${shq(unit)} | sed -e "s#__SLIPWAY_USER__#$(id -un)#g" -e "s#__SLIPWAY_HOME__#$HOME#g")`,
      `{ [ -r ${shq(file)} ] && [ "$(cat ${shq(file)})" = "$new" ] || { printf '%s\n' "$new" | sudo -n tee ${shq(file)} >/dev/null && sudo -n chmod 644 ${shq(file)} && sudo -n systemctl daemon-reload; }; }`,
    ),
    `install systemd unit ${svc.program}.service`,
  );
}

/** start/stop/restart/reload/status through `sudo -n systemctl`. */
function systemdAction(svc: Service, _c: ServiceContext, action: ServiceAction): ScriptCommand {
  return cmd(argv("sudo", "-n", "systemctl", action === "status" ? "status" : action, `${svc.program}.service`), `${action} ${svc.name}`);
}

/** `systemctl is-active` says active; otherwise what it said is printed. */
function systemdAlive(svc: Service): string {
  return `{ s=$(systemctl is-active ${shq(`${svc.program}.service`)} 2>&1); [ "$s" = active ] || { echo "systemd: $s"; false; }; }`;
}

/** The systemd backend. */
export const systemd: ServiceBackend = {
  envBody: systemdEnvBody,
  install: installSystemdUnit,
  action: systemdAction,
  alive: systemdAlive,
};
