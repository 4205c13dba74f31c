/** Starting, checking and waiting for detached pre-steps; the "finished" notification is sent once. */
import { pathsFor } from "../config/paths.js";
import type { Environment, Host, Prestep } from "../config/resolve.js";
import { rolePrimary } from "../config/roles.js";
import { checkPrestep, claimNotification, parsePrestep, startPrestep, type PrestepStatus } from "../commands/prestep.js";
import { OperationError } from "../errors.js";
import { capture, runHostScript } from "../exec/runner.js";
import { commandEnv } from "../plan/sections.js";
import type { ExecutorPool, RunContext } from "./context.js";
import { sleep } from "./sleep.js";

export function prestepHost(env: Environment, ps: Prestep): Host {
  return ps.role ? rolePrimary(env.hosts, ps.role) : env.primary;
}

export function findPrestep(env: Environment, name: string): Prestep {
  const ps = env.presteps.find((x) => x.name === name);
  if (!ps) throw new OperationError(`unknown pre-step "${name}"; configured: ${env.presteps.map((x) => x.name).join(", ") || "(none)"}`);
  return ps;
}

export async function prestepStatus(ctx: RunContext, pool: ExecutorPool, ps: Prestep, commit: string): Promise<PrestepStatus> {
  const h = prestepHost(ctx.env, ps);
  return parsePrestep(
    await capture(await pool.get(h), "prestep", checkPrestep(pathsFor(h.deployTo), ps.name, commit), `check pre-step ${ps.name}`, ctx.signal),
  );
}

export async function startInRelease(ctx: RunContext, pool: ExecutorPool, ps: Prestep, commit: string, releaseId: string): Promise<void> {
  const h = prestepHost(ctx.env, ps);
  const p = pathsFor(h.deployTo);
  const script = {
    env: commandEnv(ctx.env, { SLIPWAY_HOST: h.name, SLIPWAY_COMMIT: commit, SLIPWAY_RELEASE: releaseId, SLIPWAY_PRESTEP: ps.name }),
    sections: [{ phase: "prestep", commands: [startPrestep(p, ps.name, commit, p.release(releaseId), ps.run)] }],
  };
  await runHostScript(await pool.get(h), script, { bus: ctx.bus, signal: ctx.signal });
}

/** Send "pre-step finished" if no control machine has sent it yet (an atomic mkdir on the host decides). */
export async function notifyFinished(ctx: RunContext, pool: ExecutorPool, ps: Prestep, commit: string, st: PrestepStatus): Promise<void> {
  if (!ctx.notifier || (st.status !== "done" && st.status !== "failed" && st.status !== "died")) return;
  const h = prestepHost(ctx.env, ps);
  const out = await capture(await pool.get(h), "prestep", claimNotification(pathsFor(h.deployTo), ps.name, commit), "claim notification");
  if (!out.includes("CLAIMED")) return;
  ctx.notifier.send({
    event: "prestep.finished",
    env: ctx.env.name,
    app: ctx.env.app,
    text: `pre-step ${ps.name} for ${commit.slice(0, 12)} ${st.status === "done" ? "finished" : "FAILED"} on ${h.name}`,
    details: { prestep: ps.name, commit, host: h.name, status: st.status, started: st.started, finished: st.finished, exit: st.exit },
  });
}

/** Wait until the pre-step for `commit` ends, showing progress; throws with its log tail if it failed. */
export async function waitForPrestep(ctx: RunContext, pool: ExecutorPool, ps: Prestep, commit: string): Promise<PrestepStatus> {
  let last = "";
  for (;;) {
    const st = await prestepStatus(ctx, pool, ps, commit);
    if (st.status === "running") {
      const line = `pre-step ${ps.name} running${st.progress ? `: ${st.progress}` : ""}`;
      if (line !== last) ctx.bus.info(line, prestepHost(ctx.env, ps).name);
      last = line;
      await sleep(1000, ctx.signal);
      continue;
    }
    await notifyFinished(ctx, pool, ps, commit, st);
    if (st.status === "done") {
      ctx.bus.info(`pre-step ${ps.name} done`, prestepHost(ctx.env, ps).name);
      return st;
    }
    throw new OperationError(
      `pre-step ${ps.name} ${st.status === "none" ? "was not started" : `${st.status} (exit ${st.exit || "?"})`} on ${prestepHost(ctx.env, ps).name}${st.log.length ? `:\n${st.log.map((l) => `    ${l}`).join("\n")}` : ""}`,
    );
  }
}

/** A deploy's required pre-steps: start in the new release (unless running or done for this commit), then wait. */
export async function ensurePresteps(ctx: RunContext, pool: ExecutorPool, commit: string, releaseId: string, targeted: Host[]): Promise<void> {
  for (const ps of ctx.env.presteps.filter((x) => x.required)) {
    const h = prestepHost(ctx.env, ps);
    if (!targeted.some((t) => t.name === h.name))
      throw new OperationError(`pre-step ${ps.name} runs on ${h.name}, which this deploy does not target (--limit)`);
    const st = await prestepStatus(ctx, pool, ps, commit);
    if (st.status === "none" || st.status === "failed" || st.status === "died") {
      ctx.bus.info(`starting pre-step ${ps.name} (detached) in ${releaseId}`, h.name);
      await startInRelease(ctx, pool, ps, commit, releaseId);
    } else if (st.status === "running") ctx.bus.info(`pre-step ${ps.name} already running for this commit: waiting for it`, h.name);
    await waitForPrestep(ctx, pool, ps, commit);
  }
}
