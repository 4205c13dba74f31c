/** Builders for planned downtime: the maintenance flag and page, and finding/killing stragglers. */
import path from "node:path";
import { FILES, type Paths } from "../config/paths.js";
import type { Service } from "../config/resolve.js";
import { and, shPath, shq } from "./quote.js";
import { cmd, type ScriptCommand } from "./script.js";
import type { ServiceContext } from "./services/backend.js";

export const htmlEscape = (t: string) => t.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

export function maintenancePage(app: string, message: string): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${htmlEscape(app)}: down for maintenance</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto">
<h1>Down for maintenance</h1>
<p>${htmlEscape(message)}</p>
</body></html>
`;
}

/** Write the page, then the flag (renamed into place, so nginx never sees a half-written state). */
export function maintenanceOn(p: Paths, dir: string, html: string, info: object): ScriptCommand {
  const m = p.maintenance(dir);
  const [d, page, flag] = [shPath(m.dir), FILES.maintenancePage, FILES.maintenanceFlag];
  return cmd(
    and(
      `mkdir -p ${d}`,
      `printf '%s' ${shq(html)} > ${d}/${page}.tmp`,
      `mv -f ${d}/${page}.tmp ${d}/${page}`,
      `printf '%s\\n' ${shq(JSON.stringify(info))} > ${d}/${flag}.tmp`,
      `mv -f ${d}/${flag}.tmp ${d}/${flag}`,
    ),
    `put up the maintenance page (${m.flag})`,
  );
}

export function maintenanceOff(p: Paths, dir: string): ScriptCommand {
  return cmd(`rm -f ${shPath(p.maintenance(dir).dir)}/${FILES.maintenanceFlag}`, "take down the maintenance page");
}

export function maintenanceState(p: Paths, dir: string): string {
  const f = `${shPath(p.maintenance(dir).dir)}/${FILES.maintenanceFlag}`;
  return `if [ -f ${f} ]; then echo ON; cat ${f}; else echo OFF; fi`;
}

/** Shell that prints `PID<TAB>service<TAB>pid<TAB>command` for each process of a stopped service still alive. */
export function stragglerProbe(services: Service[], c: ServiceContext): string {
  const lines = services.map((svc) => {
    const sources: string[] = [];
    if (svc.pidFile) sources.push(`cat ${shPath(path.posix.join(c.paths.root, svc.pidFile))} 2>/dev/null`);
    if (svc.processes) sources.push(`pgrep -u "$(id -u)" -f ${shq(svc.processes)} 2>/dev/null`);
    if (svc.backend === "supervisord")
      sources.push(`supervisorctl -c ${shPath(c.supervisor.config)} pid ${shq(svc.program)} 2>/dev/null | grep -E '^[1-9][0-9]*$'`);
    if (!sources.length) return "";
    // Pids come from files on the host: only plain numbers count, and never init (1).
    return `for p in $( { ${sources.join("; ")}; } | sort -u); do case "$p" in ''|*[!0-9]*|1) continue;; esac; [ "$p" != "$$" ] && kill -0 "$p" 2>/dev/null && s=$(awk '{print $3}' /proc/$p/stat 2>/dev/null) && [ "$s" != Z ] && printf 'PID\\t%s\\t%s\\t%s\\n' ${shq(svc.name)} "$p" "$(tr '\\0' ' ' < /proc/$p/cmdline 2>/dev/null | cut -c1-120)"; done`;
  });
  return lines.filter(Boolean).join("\n") || "true";
}

/** Wait up to `seconds` for stragglers to exit (one round trip), printing those left. */
export function waitForExit(services: Service[], c: ServiceContext, seconds: number): string {
  const probe = stragglerProbe(services, c);
  return `end=$(( $(date +%s) + ${Math.max(0, Math.floor(seconds))} )); while :; do left=$( { ${probe}\n} ); [ -z "$left" ] && break; [ "$(date +%s)" -ge "$end" ] && { printf '%s\\n' "$left"; break; }; sleep 0.3; done; true`;
}

/** TERM, then KILL after a grace period, for the given pids. */
export function killPids(pids: number[]): string {
  const list = pids.map((n) => String(Math.floor(n))).join(" ");
  return `kill -TERM ${list} 2>/dev/null; for i in $(seq 1 20); do alive=; for p in ${list}; do kill -0 $p 2>/dev/null && alive=1; done; [ -z "$alive" ] && break; sleep 0.1; done; kill -KILL ${list} 2>/dev/null; true`;
}
