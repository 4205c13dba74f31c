/**
 * The verify window in wait mode: after a deploy's switch, still under its lock, the checks run in
 * rounds on the hosts that own them every `interval` until `window` ends. The first failing check
 * ends the window; the caller reverts (apply/deploy.ts → automaticRollback).
 */
import { pathsFor } from "../config/paths.js";
import type { Host } from "../config/resolve.js";
import type { VerifyWindow } from "../config/resolve-verify.js";
import { checkRound, checksFor } from "../commands/verify-checks.js";
import { cmd } from "../commands/script.js";
import { capture, runHostScript } from "../exec/runner.js";
import { commandEnv } from "../plan/sections.js";
import { parseCheckOutput, type CheckResult } from "../plan/verify-input.js";
import type { RunContext } from "./context.js";
import { sleep } from "./sleep.js";
import { InterruptedError, OperationError } from "../errors.js";
import { describeFailure } from "../plan/verify-input.js";
import { gatherStates } from "./gather.js";
import { rollbackUnderLock } from "./rollback.js";

export type WindowOutcome = { ok: true; rounds: number } | { ok: false; rounds: number; host: string; failure: CheckResult };

/** The checks each host runs (hosts without any are skipped). */
export function watchedHosts(w: VerifyWindow, hosts: Host[], primary: string): { host: Host; checks: VerifyWindow["checks"] }[] {
  return hosts.map((host) => ({ host, checks: checksFor(w.checks, host, primary) })).filter((x) => x.checks.length > 0);
}

/** One round on one host: a failure to run the round at all is a failing check too. */
async function roundOn(ctx: RunContext, host: Host, checks: VerifyWindow["checks"], releaseId: string): Promise<CheckResult[]> {
  const p = pathsFor(host.deployTo);
  const lines: string[] = [];
  const slack = 5000;
  const script = {
    env: commandEnv(ctx.env, { SLIPWAY_HOST: host.name, SLIPWAY_RELEASE: releaseId }, host),
    sections: [
      {
        phase: "verify-window",
        commands: [cmd(`${checkRound(checks, p.current)}\ntrue`, "verify window checks")],
        timeoutMs: checks.reduce((a, c) => a + c.timeoutMs, slack),
      },
    ],
  };
  try {
    await runHostScript(await ctx.pool.get(host), script, { bus: ctx.bus, signal: ctx.signal, stdout: (l) => lines.push(l) });
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    return [{ name: checks[0]!.name, ok: false, evidence: `checks could not run on ${host.name}: ${(e as Error).message.split("\n")[0]}` }];
  }
  const { results, problems } = parseCheckOutput(
    lines.join("\n"),
    checks.map((c) => c.name),
  );
  for (const pr of problems) ctx.bus.warn(pr, host.name);
  return results;
}

/** Run rounds until the window ends or a check fails; Ctrl-C rejects (InterruptedError). */
export async function runVerifyWindow(ctx: RunContext, hosts: Host[], w: VerifyWindow, releaseId: string): Promise<WindowOutcome> {
  // With --limit leaving the primary out, the first targeted host runs the primary's checks.
  const primary = hosts.some((h) => h.name === ctx.env.primary.name) ? ctx.env.primary.name : hosts[0]!.name;
  const watched = watchedHosts(w, hosts, primary);
  const until = Date.now() + w.windowMs;
  ctx.bus.info(
    `verify window: ${w.checks.map((c) => c.name).join(", ")} every ${w.intervalMs / 1000}s until ${new Date(until).toISOString().slice(11, 19)} UTC`,
  );
  let rounds = 0;
  for (;;) {
    const perHost = await Promise.all(watched.map(async (x) => ({ host: x.host.name, results: await roundOn(ctx, x.host, x.checks, releaseId) })));
    rounds++;
    for (const { host, results } of perHost) {
      const failure = results.find((r) => !r.ok);
      if (failure) {
        ctx.bus.warn(`verify window: check ${failure.name} FAILED in round ${rounds}: ${failure.evidence}`, host);
        return { ok: false, rounds, host, failure };
      }
    }
    ctx.bus.info(`verify window: round ${rounds} ok (${perHost.flatMap((x) => x.results.map((r) => `${r.name}: ${r.evidence}`)).join("; ")})`);
    const left = until - Date.now();
    if (left <= 0) break;
    await sleep(Math.min(w.intervalMs, left), ctx.signal);
  }
  ctx.bus.info(`verify window ended: ${rounds} round(s), all checks ok`);
  return { ok: true, rounds };
}

/**
 * Wait mode after a deploy walked: run the window; on a failing check switch every host back to
 * `previous` under the held lock (an automatic rollback with the evidence, notified), then fail.
 * `deployHistory` is the deploy's own history command, run first; the rollback's line comes after it.
 */
export async function verifyOrRevert(
  ctx: RunContext,
  hosts: Host[],
  w: VerifyWindow,
  release: { id: string; previous: string | null },
  deployHistory: string,
  setHistory: (command: string | undefined) => void,
): Promise<void> {
  // The deploy is recorded (history line, `deploying` cleared) before the window: a CLI killed
  // during the window leaves a finished deploy behind, not one to resume.
  await capture(await ctx.pool.get(ctx.env.primary), "history", deployHistory, "record the deploy", undefined, ctx.env.timeouts.check);
  setHistory(undefined);
  let outcome: WindowOutcome;
  try {
    outcome = await runVerifyWindow(ctx, hosts, w, release.id);
  } catch (e) {
    if (e instanceof InterruptedError || ctx.signal.aborted) ctx.bus.warn(`verify window interrupted: ${release.id} stays current (nothing was reverted)`);
    throw e;
  }
  if (outcome.ok) return;
  const evidence = `${describeFailure(outcome.failure)} (on ${outcome.host}, round ${outcome.rounds})`;
  if (!release.previous)
    throw new OperationError(`verify window failed: ${evidence}\nthere is no previous release to switch back to: ${release.id} stays current`);
  ctx.bus.warn(`verify window failed: switching back to ${release.previous} automatically`);
  const notice = (ok: boolean, text: string) =>
    ctx.notifier?.send({
      event: ok ? "rollback.succeeded" : "rollback.failed",
      env: ctx.env.name,
      app: ctx.env.app,
      text,
      details: { automatic: true, release: release.previous, from: release.id, evidence },
    });
  try {
    const states = await gatherStates(ctx, ctx.pool, hosts);
    const rb = await rollbackUnderLock(ctx, hosts, states, { target: release.previous, automatic: { evidence } }, setHistory);
    notice(true, `automatic rollback of ${ctx.env.name} to ${release.previous}: ${evidence}`);
    throw new OperationError(`verify window failed: ${evidence}\nrolled back automatically to ${release.previous}:\n${rb.summary.join("\n")}`);
  } catch (e) {
    if (e instanceof OperationError && e.message.startsWith("verify window failed")) throw e;
    notice(false, `automatic rollback of ${ctx.env.name} to ${release.previous} FAILED: ${evidence}`);
    throw new OperationError(`verify window failed: ${evidence}\nthe automatic rollback FAILED: ${(e as Error).message}`);
  }
}
