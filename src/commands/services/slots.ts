/**
 * A cutover service's slots, the base the other builders share: the service as it runs on one port
 * (its own program, `{{ SLIPWAY_PORT }}` filled in), the host's record of the slot nginx points at, and
 * shell that picks the recorded slot (for the service verbs and health reports).
 */
import path from "node:path";
import type { Cutover, Service } from "../../config/resolve.js";
import { fillVars } from "../../config/template.js";
import { shPath, shq } from "../quote.js";
import type { ServiceContext } from "./backend.js";

/** A service with cutover settings. */
export type CutoverService = Service & { cutover: Cutover };

export const hasCutover = (svc: Service): svc is CutoverService => svc.cutover !== undefined;

/** The service as it runs on one slot: its own program name, the port filled in; a plain service (no cutover). */
export function slotService(svc: CutoverService, port: number): Service {
  const vars = { SLIPWAY_PORT: String(port) };
  const fill = (t?: string) => (t === undefined ? t : fillVars(t, vars).text);
  const { cutover: _, ...plain } = svc;
  return {
    ...plain,
    program: `${svc.program}-${port}`,
    command: fill(svc.command),
    health: svc.health && { ...svc.health, http: fill(svc.health.http), tcp: fill(svc.health.tcp) },
  };
}

/** The slot's environment: the service's, plus the address and port it listens on. */
export const slotContext = (svc: CutoverService, c: ServiceContext, port: number): ServiceContext => ({
  ...c,
  env: { ...c.env, SLIPWAY_PORT: String(port), SLIPWAY_SLOT_HOST: svc.cutover.host },
});

/** The host's record for a service: `<port> <release>` of the slot nginx points at. */
export const cutoverStateFile = (svc: Service, c: ServiceContext): string => path.posix.join(c.paths.cutoverDir, svc.name);

/** Shell running `each(slot)` for the recorded slot; the recorded port must be one of the configured ones. */
export function onActiveSlot(svc: CutoverService, c: ServiceContext, each: (slot: Service, sc: ServiceContext) => string): string {
  const arms = svc.cutover.ports.map((p) => `${p}) ${each(slotService(svc, p), slotContext(svc, c, p))};;`).join(" ");
  return `{ __port=$(cut -d' ' -f1 ${shPath(cutoverStateFile(svc, c))} 2>/dev/null); case "$__port" in ${arms} *) echo ${shq(`${svc.name}: no active cutover slot recorded (deploy it first)`)}; false;; esac; }`;
}
