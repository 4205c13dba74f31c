/**
 * Blue/green slots behind nginx, as pure builders: start a release on a slot and wait for its health,
 * point nginx's upstream at a slot (checked with `nginx -t`, gracefully reloaded), drain a slot and stop it.
 * Each slot is its own supervisord program (`<program>-<port>`) running in its release directory, so the
 * old slot keeps serving the old code until nginx's old workers have finished their requests.
 */
import path from "node:path";
import { RELEASE_ID } from "../../config/paths.js";
import type { Service } from "../../config/resolve.js";
import { shPath, shq } from "../quote.js";
import { cmd, type ScriptCommand } from "../script.js";
import type { ServiceContext } from "./backend.js";
import { aliveCheck } from "./backend.js";
import { endpointChecks, healthWait } from "./health.js";
import { cutoverStateFile, slotContext, slotService, type CutoverService } from "./slots.js";
import { ctl, installSupervisorProgram, programFile } from "./supervisord.js";

export { hasCutover, type CutoverService } from "./slots.js";

/** Shell counting this slot's sockets in a /proc/net/tcp state (`01` established, `0A` listening). */
const socketsOn = (svc: CutoverService, port: number, state: "01" | "0A") =>
  `awk '$2 ~ /${procNetAddress(svc.cutover.host, port)}$/ && $4 == "${state}"' /proc/net/tcp /proc/net/tcp6 2>/dev/null | wc -l`;
const drainFile = (svc: Service, c: ServiceContext) => path.posix.join(c.paths.cutoverDir, `${svc.name}.draining`);
const upstreamPath = (svc: CutoverService, c: ServiceContext) => c.paths.under(svc.cutover.upstreamFile);
const asNginx = (svc: CutoverService, shell: string) => (svc.cutover.nginx.sudo ? `sudo -n ${shell}` : shell);

/**
 * Start `release` on a slot (nothing to do when it already runs there), then wait until it is healthy.
 * A slot that has no program yet must find its port free: a stray process answering there would pass
 * the health check in its place. Its endpoint is polled, then supervisord is asked once that our
 * process is the one up (startsecs=0: the health check, not a fixed second, says when it is ready).
 */
export function startSlot(svc: CutoverService, c: ServiceContext, port: number, releaseDir: string, release: string): ScriptCommand[] {
  const slot = slotService(svc, port);
  const sc = slotContext(svc, c, port);
  const listen = socketsOn(svc, port, "0A");
  const free = `{ [ "$(${listen})" -eq 0 ] || { echo ${shq(`port ${port} on ${svc.cutover.host} is already in use by another process; stop it or change cutover.ports`)} >&2; false; }; }`;
  const install = installSupervisorProgram(slot, sc, { directory: releaseDir, startsecs: 0, startIfUnchanged: true, beforeAdd: free });
  return [{ ...install, display: `start ${svc.name} ${release} on :${port}` }, healthWait(slot, sc, endpointChecks(slot).join(" && "), aliveCheck(slot, sc))];
}

/** The upstream file's text: one server, the slot's. */
export function upstreamText(svc: CutoverService, port: number, release: string): string {
  const { upstreamName, host } = svc.cutover;
  return `# written by slipway: ${svc.name} release ${release} on port ${port}; do not edit\nupstream ${upstreamName} {\n    server ${host}:${port};\n}\n`;
}

/**
 * Point nginx at a slot: write the upstream file (renamed into place), `nginx -t` (a failure puts the old
 * file back: nginx never read the new one, so traffic was not touched), reload, and wait until nginx runs
 * new workers (the new upstream is live). The old workers' pids are kept for the drain. Without a running
 * nginx the file is written and nothing is reloaded: nginx reads it when it starts.
 */
export function switchUpstream(svc: CutoverService, c: ServiceContext, port: number, release: string, onlyIfChanged = false): ScriptCommand {
  const up = shPath(upstreamPath(svc, c));
  const n = svc.cutover.nginx;
  const text = upstreamText(svc, port, release);
  const record = shPath(cutoverStateFile(svc, c));
  const restore = `{ if [ -f "$up.slipway-old" ]; then mv -f "$up.slipway-old" "$up"; else rm -f "$up"; fi; }`;
  // Recovery's way back: a switch that failed at `nginx -t` already put the old file back, and its reload never ran.
  const unchanged = onlyIfChanged
    ? [
        `if [ -f "$up" ] && [ "$(cat "$up")" = "$(printf '%s' ${shq(text)})" ]; then echo ${shq(`nginx upstream ${svc.cutover.upstreamName} already points at :${port}`)}; exit 0; fi`,
      ]
    : [];
  const sh = [
    `up=${up}`,
    ...unchanged,
    `mkdir -p "$(dirname "$up")" ${shPath(c.paths.cutoverDir)}`,
    `printf '%s' ${shq(text)} > "$up.slipway-new"`,
    `if [ -f "$up" ]; then cp -p "$up" "$up.slipway-old"; else rm -f "$up.slipway-old"; fi`,
    `mv -f "$up.slipway-new" "$up"`,
    `if ! out=$(${asNginx(svc, n.test)} 2>&1); then ${restore}; printf '%s\\n' ${shq("nginx -t failed; the upstream file was put back and traffic was not touched:")} "$out" >&2; exit 1; fi`,
    `mp=$(head -c 20 ${shPath(n.pidFile)} 2>/dev/null | tr -cd 0-9)`,
    `if [ -n "$mp" ] && [ -d "/proc/$mp" ]; then
  old=$(pgrep -P "$mp" | tr '\\n' ' ')
  if ! out=$(${asNginx(svc, n.reload)} 2>&1); then ${restore}; printf '%s\\n' ${shq("nginx reload failed; the upstream file was put back:")} "$out" >&2; exit 1; fi
  end=$(( $(date +%s) + 10 )); fresh=
  while [ -z "$fresh" ]; do
    for p in $(pgrep -P "$mp"); do case " $old " in *" $p "*) ;; *) fresh=$p;; esac; done
    [ -n "$fresh" ] && break
    if [ "$(date +%s)" -ge "$end" ]; then echo ${shq("nginx started no new worker within 10 s of the reload")} >&2; exit 1; fi
    sleep 0.05
  done
  printf '%s\\n' $old > ${shPath(drainFile(svc, c))}
  echo ${shq(`nginx now sends ${svc.name} traffic to :${port}`)}
else
  echo ${shq(`nginx is not running (no live process in ${n.pidFile}): upstream written, nothing reloaded`)}
fi`,
    `printf '%s %s\\n' ${port} ${shq(release)} > ${record}.tmp`,
    `mv -f ${record}.tmp ${record}`,
    `rm -f "$up.slipway-old"`,
  ];
  // Plain lines, each stopping the command on failure (no `set -e`: pgrep's "none found" is not an error here).
  return cmd(
    sh.map((l) => (l.startsWith("if ") ? l : `${l} || exit 1`)).join("\n"),
    `point nginx upstream ${svc.cutover.upstreamName} at :${port} (${release})`,
  );
}

/**
 * Drain a slot, then stop it and remove its program: wait until nginx's old workers (recorded at the
 * switch) have exited and no connection to the port is open, at most drain_timeout, then stop.
 * `onlyRelease`: leave the slot alone unless it runs that release (recovery stops only what it started).
 */
export function retireSlot(svc: CutoverService, c: ServiceContext, port: number, onlyRelease?: string): ScriptCommand {
  if (onlyRelease !== undefined && !RELEASE_ID.test(onlyRelease)) throw new Error(`not a release id: ${JSON.stringify(onlyRelease.slice(0, 80))}`);
  const slot = slotService(svc, port);
  const file = programFile(slot, c);
  const wait = svc.cutover.drainSeconds;
  const conns = socketsOn(svc, port, "01");
  // Release ids are [0-9a-f-] only (checked where they are parsed), so the pattern has no other metacharacters.
  const guard = onlyRelease ? `grep -qx ${shq(`directory=.*/releases/${onlyRelease}`)} ${file} || exit 0` : "true";
  const sh = `[ -f ${file} ] || exit 0
${guard}
end=$(( $(date +%s) + ${wait} )); dr=${shPath(drainFile(svc, c))}
if [ -f "$dr" ]; then for p in $(cat "$dr"); do case "$p" in ''|*[!0-9]*) continue;; esac; while [ -d "/proc/$p" ] && [ "$(date +%s)" -lt "$end" ]; do sleep 0.1; done; done; fi
while [ "$(${conns})" -gt 0 ] && [ "$(date +%s)" -lt "$end" ]; do sleep 0.1; done
left=$(${conns}); [ "$left" -eq 0 ] || echo "drain_timeout (${wait} s) reached with $left connection(s) open to :${port}; stopping it anyway"
# \`update\` rereads the config: a program whose file is gone is stopped (stopwaitsecs) and removed.
rm -f ${file} && out=$(${ctl(c)} update ${shq(slot.program)} 2>&1); case "$out" in *"no such group"*) ;; *ERROR*|*FATAL*) echo "$out"; exit 1;; esac
echo ${shq(`stopped ${svc.name} on :${port}`)}`;
  return cmd(sh, `drain ${svc.name} on :${port} (up to ${wait} s) and stop it`);
}

/**
 * How /proc/net/tcp writes a local address: little-endian hex IPv4 and the port, `0100007F:2329`. For a
 * name or IPv6 address only the port is matched (a drain may then wait for a namesake port's connections).
 */
export function procNetAddress(host: string, port: number): string {
  const p = port.toString(16).toUpperCase().padStart(4, "0");
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!v4) return `:${p}`;
  const hex = v4
    .slice(1)
    .reverse()
    .map((b) => Number(b).toString(16).toUpperCase().padStart(2, "0"))
    .join("");
  return `^${hex}:${p}`;
}

/** The pre-cutover program (`<program>`, restarted in place) is stopped and removed once a slot serves. */
export function retireInPlaceProgram(svc: CutoverService, c: ServiceContext): ScriptCommand {
  const file = programFile(svc, c);
  return cmd(
    `[ -f ${file} ] || exit 0; rm -f ${file} && ${ctl(c)} update ${shq(svc.program)} >/dev/null; echo ${shq(`removed the in-place program ${svc.program}`)}`,
    `remove the in-place program ${svc.program} (a slot serves now)`,
  );
}
