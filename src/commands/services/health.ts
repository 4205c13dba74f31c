/** Health probes (process alive, then HTTP or TCP), the wait after a restart, and the one-shot report of every service. */
import type { Service } from "../../config/resolve.js";
import { argv, shq } from "../quote.js";
import { cmd, type ScriptCommand } from "../script.js";
import { aliveCheck, type ServiceContext } from "./backend.js";
import { hasCutover, onActiveSlot } from "./slots.js";

/** One health probe: process alive, then the HTTP or TCP check. Prints what it saw. */
export function healthProbe(svc: Service, c: ServiceContext): string {
  // A cutover service is probed on the slot nginx points at (its slots are plain services: no recursion).
  if (hasCutover(svc)) return onActiveSlot(svc, c, (s, sc) => healthProbe(s, sc));
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

/** One line per service: `SVC<TAB>name<TAB>ok|down<TAB>probe output` (a single probe, no waiting). */
export function serviceReport(services: Service[], c: ServiceContext): string {
  return services
    .map(
      (svc) =>
        `out=$(${healthProbe(svc, c)} 2>&1) && st=ok || st=down; printf 'SVC\\t%s\\t%s\\t%s\\n' ${shq(svc.name)} "$st" "$(printf '%s' "$out" | tr '\\n\\t' '  ' | cut -c1-300)"`,
    )
    .join("\n");
}

/** One service's state as the report gave it. */
export interface ServiceState {
  service: string;
  ok: boolean;
  output: string;
}

/** The `SVC` lines of a report (host data: other lines are ignored). */
export function parseServiceReport(out: string): ServiceState[] {
  return out
    .split("\n")
    .filter((l) => l.startsWith("SVC\t"))
    .map((l) => {
      const [, service, st, output] = l.split("\t");
      return { service: service!, ok: st === "ok", output: (output ?? "").trim() };
    });
}
