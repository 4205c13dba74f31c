/**
 * Planned downtime: walk the plan from planDowntime (page, services, stragglers), and read the
 * state for `downtime status`. Questions go through an injected `ask`: apply does no terminal I/O.
 */
import { pathsFor } from "../config/paths.js";
import type { Host } from "../config/resolve.js";
import { appliesTo } from "../config/roles.js";
import { killPids, maintenanceOff, maintenanceState, waitForExit } from "../commands/downtime.js";
import { OperationError } from "../errors.js";
import { forEachHost } from "../exec/fanout.js";
import { capture } from "../exec/runner.js";
import { planDowntime, type DowntimePlan } from "../plan/downtime.js";
import type { OpsStage } from "../plan/ops.js";
import { hostServices, serviceContext } from "../plan/sections.js";
import type { Ask } from "../render/prompt.js";
import type { ExecutorPool, RunContext } from "./context.js";
import { runHostsStage, stageHosts } from "./ops.js";
import { serviceStates } from "./services.js";
import { runScripts } from "./stages.js";

export interface Straggler {
  host: string;
  service: string;
  pid: number;
  command: string;
}

/** Wait up to `seconds` (on the hosts, one round trip each) and return the processes still alive. */
export async function waitStragglers(ctx: RunContext, pool: ExecutorPool, hosts: Host[], seconds: number): Promise<Straggler[]> {
  const results = await forEachHost(hosts, ctx.parallel, async (h) => {
    const out = await capture(
      await pool.get(h),
      "downtime",
      waitForExit(hostServices(ctx.env, h), serviceContext(ctx.env, h), seconds),
      "wait for processes to exit",
      ctx.signal,
    );
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

export async function killStragglers(_ctx: RunContext, pool: ExecutorPool, hosts: Host[], list: Straggler[]): Promise<void> {
  for (const h of hosts) {
    const pids = list.filter((s) => s.host === h.name && s.pid > 0).map((s) => s.pid);
    if (pids.length) await capture(await pool.get(h), "downtime", killPids(pids), `kill ${pids.join(" ")}`);
  }
}

export function describeStragglers(list: Straggler[]): string {
  return list.map((s) => `  ${s.host}: ${s.service} pid ${s.pid}: ${s.command}`).join("\n");
}

/** Walk a downtime plan under the lock the verb holds; returns the summary lines. */
export async function applyDowntime(ctx: RunContext, pool: ExecutorPool, hosts: Host[], plan: DowntimePlan, ask?: Ask): Promise<string[]> {
  const lines: string[] = [];
  for (const stage of plan.stages) {
    if (stage.kind === "hosts") lines.push(...(await runHostsStage(ctx, pool, hosts, stage)));
    else if (stage.kind === "stragglers") lines.push(await stragglers(ctx, pool, stageHosts(hosts, stage.hosts), stage, ask));
  }
  return lines;
}

/**
 * Wait for the stopped services' processes; those left are terminated (`--kill-after`), asked
 * about on a terminal, or stop the run with their list (the page stays up).
 */
async function stragglers(ctx: RunContext, pool: ExecutorPool, hosts: Host[], stage: Extract<OpsStage, { kind: "stragglers" }>, ask?: Ask): Promise<string> {
  let wait = stage.waitS;
  for (;;) {
    const left = await waitStragglers(ctx, pool, hosts, wait);
    if (!left.length) return "every service stopped and its processes exited";
    if (stage.onLeft === "kill") {
      ctx.bus.warn(`still running after ${stage.waitS}s; terminating:\n${describeStragglers(left)}`);
      await killStragglers(ctx, pool, hosts, left);
      const after = await waitStragglers(ctx, pool, hosts, 2);
      if (after.length) throw new OperationError(`could not terminate:\n${describeStragglers(after)}`);
      return `terminated ${left.length} straggling process(es)`;
    }
    if (stage.onLeft === "fail" || !ask)
      throw new OperationError(
        `services stopped, but processes are still running after ${wait}s (the page stays up):\n${describeStragglers(left)}\nwait and re-run, or use --kill-after 60s`,
      );
    const answer = await ask(`still running:\n${describeStragglers(left)}\n[w]ait ${stage.retryS}s more, [t]erminate them, or [l]eave them? `, [
      "wait",
      "terminate",
      "leave",
    ]);
    if (answer === "terminate") {
      await killStragglers(ctx, pool, hosts, left);
      return `terminated ${left.length} straggling process(es)`;
    }
    if (answer === "leave") return `left ${left.length} process(es) running`;
    wait = stage.retryS;
  }
}

export async function downtimeStatus(ctx: RunContext, pool: ExecutorPool, hosts: Host[]) {
  const page = await forEachHost(
    hosts.filter((h) => appliesTo(ctx.env.maintenance.roles, h)),
    ctx.parallel,
    async (h) => {
      const out = await capture(
        await pool.get(h),
        "downtime",
        maintenanceState(pathsFor(h.deployTo), ctx.env.maintenance.dir),
        "read maintenance flag",
        ctx.signal,
      );
      const [state, ...rest] = out.trim().split("\n");
      let info: { message?: string; by?: string; since?: string } = {};
      try {
        info = JSON.parse(rest.join("\n") || "{}");
      } catch {}
      return { on: state === "ON", ...info };
    },
  );
  const services = await serviceStates(ctx, pool, hosts, ctx.env.services);
  return { page: Object.fromEntries(page.map((r) => [r.host, r.ok ? r.value : { error: r.error.message }])), services };
}

/** Page up and services stopped inside a deploy or rollback that holds the lock already (no straggler questions). */
export async function downtimeStart(ctx: RunContext, hosts: Host[], message: string): Promise<void> {
  const plan = planDowntime(ctx.env, hosts, "start", message, { by: ctx.by });
  if ("refuse" in plan) throw new OperationError(`downtime start refused: ${plan.refuse}`);
  for (const line of await applyDowntime(ctx, ctx.pool, hosts, plan)) ctx.bus.info(line);
}

/** The maintenance page comes down, nothing else (a deploy or rollback under downtime restarted the services itself). */
export async function pageDown(ctx: RunContext, hosts: Host[]): Promise<void> {
  const pages = hosts.filter((h) => appliesTo(ctx.env.maintenance.roles, h));
  const scripts = Object.fromEntries(
    pages.map((h) => [h.name, { env: {}, sections: [{ phase: "downtime", commands: [maintenanceOff(pathsFor(h.deployTo), ctx.env.maintenance.dir)] }] }]),
  );
  await runScripts(ctx, ctx.pool, pages, scripts, "downtime");
}
