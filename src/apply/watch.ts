/**
 * `deploy --no-wait`: start the verify window's detached watcher on every host of the deploy and
 * hand the environment lock to the primary's watcher, then return. Each watcher's revert script is
 * compiled here from the rollback plan for the post-deploy state (planRollback), so it does what
 * `slipway <env> rollback` would do on that host. `status` reads their state (readWatches).
 */
import { pathsFor } from "../config/paths.js";
import type { Host } from "../config/resolve.js";
import type { VerifyWindow } from "../config/resolve-verify.js";
import { appliesTo } from "../config/roles.js";
import { and } from "../commands/quote.js";
import { compileScript } from "../commands/script.js";
import { handOverLock, readWatch, startWatcher } from "../commands/watch.js";
import { OperationError } from "../errors.js";
import { forEachHost, failures } from "../exec/fanout.js";
import { capture } from "../exec/runner.js";
import { planRollback } from "../plan/rollback.js";
import { commandEnv } from "../plan/sections.js";
import type { RunContext } from "./context.js";
import { gatherStates } from "./gather.js";
import { historyEntry } from "./history.js";
import type { HeldLock } from "./lock.js";

/** A watcher runs every HTTP and metric check (hosts cannot ask each other) and the command checks of its roles. */
export const watcherChecks = (w: VerifyWindow, h: Host) => w.checks.filter((c) => c.kind !== "command" || appliesTo(c.roles, h));

/**
 * Start the watchers; on the primary, in the same round trip, append the deploy's history line
 * first (so the automatic rollback's line comes after it) and rewrite the lock to name the watcher.
 * Returns the summary lines.
 */
export async function startWatchers(
  ctx: RunContext,
  hosts: Host[],
  w: VerifyWindow,
  release: { id: string; previous: string | null },
  lock: HeldLock,
  deployHistory: string,
  setHistory: (command: string | undefined) => void,
): Promise<string[]> {
  if (!release.previous) {
    ctx.bus.warn(`verify window skipped: there is no previous release to switch back to`);
    return [];
  }
  const states = await gatherStates(ctx, ctx.pool, hosts);
  const plan = planRollback({ env: ctx.env, hosts, states, requested: release.previous });
  if ("refuse" in plan) throw new OperationError(`cannot prepare the verify window's automatic rollback: ${plan.refuse}`);
  const until = new Date(Date.now() + w.windowMs).toISOString();
  const {
    at: _at,
    outcome: _o,
    durationMs: _d,
    ...fixed
  } = historyEntry(ctx, Date.now(), "ok", {
    verb: "rollback",
    automatic: true,
    release: plan.target,
    fromRelease: plan.from,
    fromCommit: plan.fromCommit,
    toCommit: plan.toCommit,
    message: `verify window of ${release.id}`,
  });
  const primary = ctx.env.primary.name;
  // The primary's watcher posts the automatic rollback to the webhooks itself (email needs this machine).
  const wants = (e: string) => ctx.env.notify.webhooks.filter((x) => !x.events || x.events.includes(e)).map((x) => x.url);
  const hooks = { succeeded: wants("rollback.succeeded"), failed: wants("rollback.failed"), env: ctx.env.name, app: ctx.env.app };
  const started = await forEachHost(hosts, ctx.parallel, async (h) => {
    const p = pathsFor(h.deployTo);
    const sections = plan.stages.flatMap((st) => (st.hosts.includes(h.name) ? (st.scripts[h.name]?.sections ?? []) : []));
    const revert = compileScript({ env: plan.stages[0]!.scripts[h.name]!.env, sections });
    const isPrimary = h.name === primary;
    const start = startWatcher(p, {
      host: h.name,
      release: release.id,
      previous: release.previous!,
      windowMs: w.windowMs,
      intervalMs: w.intervalMs,
      checks: watcherChecks(w, h),
      env: commandEnv(ctx.env, { SLIPWAY_HOST: h.name, SLIPWAY_RELEASE: release.id }, h),
      revert,
      ...(isPrimary ? { history: fixed, lockToken: lock.info.token, webhooks: hooks } : {}),
    }).sh;
    const holder = {
      ...lock.info,
      verb: "verify-watch",
      reason: `verify window of ${release.id} until ${until}`,
      controlHost: `${h.name} (watcher)`,
      since: new Date().toISOString(),
    };
    const sh = isPrimary ? and(`{ ${deployHistory}\n}`, `${handOverLock(p, lock.info.token, holder)} | grep -qx HANDED`, start) : start;
    return capture(await ctx.pool.get(h), "watch", sh, `start the verify-window watcher for ${release.id}`, ctx.signal, ctx.env.timeouts.check);
  });
  const lost = failures(started);
  const primaryStarted = started.some((r) => r.host === primary && r.ok);
  if (primaryStarted) {
    setHistory(undefined);
    lock.handOver();
  }
  if (lost.length)
    throw new OperationError(
      `the verify-window watcher did not start on ${lost.map((f) => `${f.host}: ${f.error.message.split("\n")[0]}`).join("; ")}` +
        (primaryStarted ? "\nthe watchers that started keep watching (and hold the lock)" : ""),
    );
  ctx.bus.info(
    `verify window: watchers started on ${hosts.map((h) => h.name).join(", ")}, until ${until.slice(11, 19)} UTC; see \`slipway ${ctx.env.name} status\``,
  );
  return [`verify window: watching ${release.id} until ${until} (${w.checks.map((c) => c.name).join(", ")}); the lock is held by the watcher`];
}

/** The status script's fragment for one host. */
export const watchReadScript = (h: Host) => readWatch(pathsFor(h.deployTo));
