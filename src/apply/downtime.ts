/**
 * Planned downtime: maintenance page up on the web hosts, services stopped and their processes
 * waited for (stragglers listed, then killed on request), and the reverse on `end`.
 */
import { createInterface } from "node:readline/promises";
import { pathsFor } from "../config/paths.js";
import type { Host } from "../config/resolve.js";
import { appliesTo } from "../config/roles.js";
import { killPids, maintenanceOff, maintenanceOn, maintenancePage, maintenanceState, waitForExit } from "../commands/downtime.js";
import { servicesOn } from "../commands/services/backend.js";
import type { HostScript } from "../commands/script.js";
import { OperationError } from "../errors.js";
import { forEachHost } from "../exec/fanout.js";
import { capture } from "../exec/runner.js";
import type { ExecutorPool, RunContext } from "./context.js";
import { runServiceAction, serviceStates } from "./services.js";
import { hostServices, serviceContext } from "../plan/sections.js";
import { runScripts } from "./stages.js";

export interface Straggler {
  host: string;
  service: string;
  pid: number;
  command: string;
}

const pageHosts = (ctx: RunContext, hosts: Host[]) => hosts.filter((h) => appliesTo(ctx.env.maintenance.roles, h));
const serviceHosts = (ctx: RunContext, hosts: Host[]) => hosts.filter((h) => servicesOn(ctx.env.services, h.roles).length > 0);

export async function pageUp(ctx: RunContext, pool: ExecutorPool, hosts: Host[], message: string): Promise<void> {
  const html = maintenancePage(ctx.env.app, message);
  const info = { message, by: ctx.by, since: new Date().toISOString() };
  const scripts: Record<string, HostScript> = {};
  for (const h of pageHosts(ctx, hosts)) scripts[h.name] = { env: {}, sections: [{ phase: "downtime", commands: [maintenanceOn(pathsFor(h.deployTo), ctx.env.maintenance.dir, html, info)] }] };
  await runScripts(ctx, pool, pageHosts(ctx, hosts), scripts, "maintenance page");
}

export async function pageDown(ctx: RunContext, pool: ExecutorPool, hosts: Host[]): Promise<void> {
  const scripts: Record<string, HostScript> = {};
  for (const h of pageHosts(ctx, hosts)) scripts[h.name] = { env: {}, sections: [{ phase: "downtime", commands: [maintenanceOff(pathsFor(h.deployTo), ctx.env.maintenance.dir)] }] };
  await runScripts(ctx, pool, pageHosts(ctx, hosts), scripts, "maintenance page");
}

/** Wait up to `seconds` (on the hosts, one round trip each) and return the processes still alive. */
export async function waitStragglers(ctx: RunContext, pool: ExecutorPool, hosts: Host[], seconds: number): Promise<Straggler[]> {
  const results = await forEachHost(serviceHosts(ctx, hosts), ctx.parallel, async (h) => {
    const out = await capture(await pool.get(h), "downtime", waitForExit(hostServices(ctx.env, h), serviceContext(ctx.env, h), seconds), "wait for processes to exit", ctx.signal);
    return out
      .split("\n")
      .filter((l) => l.startsWith("PID\t"))
      .map((l) => {
        const [, service, pid, command] = l.split("\t");
        return { host: h.name, service: service!, pid: Number(pid), command: command ?? "" };
      });
  });
  return results.flatMap((r) => (r.ok ? r.value : [{ host: r.host, service: "?", pid: 0, command: `cannot check: ${r.error.message}` }]));
}

export async function killStragglers(ctx: RunContext, pool: ExecutorPool, hosts: Host[], list: Straggler[]): Promise<void> {
  for (const h of hosts) {
    const pids = list.filter((s) => s.host === h.name && s.pid > 0).map((s) => s.pid);
    if (pids.length) await capture(await pool.get(h), "downtime", killPids(pids), `kill ${pids.join(" ")}`);
  }
}

export function describeStragglers(list: Straggler[]): string {
  return list.map((s) => `  ${s.host}: ${s.service} pid ${s.pid}: ${s.command}`).join("\n");
}

/**
 * `downtime start`: page up, services stopped (reverse order), processes waited for. Stragglers
 * are killed after `killAfterS` seconds when given; otherwise a terminal asks, and a
 * non-interactive run stops with the list (the page stays up).
 */
export async function downtimeStart(ctx: RunContext, pool: ExecutorPool, hosts: Host[], message: string, killAfterS: number | undefined, interactive: boolean): Promise<string[]> {
  await pageUp(ctx, pool, hosts, message);
  const lines = [`maintenance page up on ${pageHosts(ctx, hosts).map((h) => h.name).join(", ") || "(no host)"}`];
  if (!ctx.env.services.length) return lines;
  await runServiceAction(ctx, pool, serviceHosts(ctx, hosts), ctx.env.services, "stop");
  let wait = killAfterS ?? ctx.env.maintenance.stopTimeout;
  for (;;) {
    const left = await waitStragglers(ctx, pool, hosts, wait);
    if (!left.length) return [...lines, "every service stopped and its processes exited"];
    if (killAfterS !== undefined) {
      ctx.bus.warn(`still running after ${killAfterS}s; terminating:\n${describeStragglers(left)}`);
      await killStragglers(ctx, pool, hosts, left);
      const after = await waitStragglers(ctx, pool, hosts, 2);
      if (after.length) throw new OperationError(`could not terminate:\n${describeStragglers(after)}`);
      return [...lines, `terminated ${left.length} straggling process(es)`];
    }
    if (!interactive) throw new OperationError(`services stopped, but processes are still running after ${wait}s (the page stays up):\n${describeStragglers(left)}\nwait and re-run, or use --kill-after 60s`);
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answer = (await rl.question(`still running:\n${describeStragglers(left)}\n[w]ait ${ctx.env.maintenance.stopTimeout}s more, [t]erminate them, or [l]eave them? `)).trim().toLowerCase();
    rl.close();
    if (answer.startsWith("t")) {
      await killStragglers(ctx, pool, hosts, left);
      return [...lines, `terminated ${left.length} straggling process(es)`];
    }
    if (answer.startsWith("l")) return [...lines, `left ${left.length} process(es) running`];
    wait = ctx.env.maintenance.stopTimeout;
  }
}

/** `downtime end`: services started in order and healthy, then the page comes down. */
export async function downtimeEnd(ctx: RunContext, pool: ExecutorPool, hosts: Host[]): Promise<string[]> {
  const lines: string[] = [];
  if (ctx.env.services.length) {
    lines.push(...(await runServiceAction(ctx, pool, serviceHosts(ctx, hosts), ctx.env.services, "start")));
  }
  await pageDown(ctx, pool, hosts);
  return [...lines, "maintenance page down"];
}

export async function downtimeStatus(ctx: RunContext, pool: ExecutorPool, hosts: Host[]) {
  const page = await forEachHost(pageHosts(ctx, hosts), ctx.parallel, async (h) => {
    const out = await capture(await pool.get(h), "downtime", maintenanceState(pathsFor(h.deployTo), ctx.env.maintenance.dir), "read maintenance flag", ctx.signal);
    const [state, ...rest] = out.trim().split("\n");
    let info: { message?: string; by?: string; since?: string } = {};
    try {
      info = JSON.parse(rest.join("\n") || "{}");
    } catch {}
    return { on: state === "ON", ...info };
  });
  const services = await serviceStates(ctx, pool, hosts, ctx.env.services);
  return { page: Object.fromEntries(page.map((r) => [r.host, r.ok ? r.value : { error: r.error.message }])), services };
}
