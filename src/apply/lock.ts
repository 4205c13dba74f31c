/** Environment lock on the primary host: acquire, wait, release in `finally`, stale detection. */
import { parseLockInfo } from "../plan/host-input.js";
import os from "node:os";
import { randomUUID } from "node:crypto";
import { pathsFor } from "../config/paths.js";
import { acquireLock, readLock, releaseLock, type LockInfo } from "../commands/lock.js";
import { LockHeldError } from "../errors.js";
import { capture } from "../exec/runner.js";
import type { ExecutorPool, RunContext } from "./context.js";
import { sleep } from "./sleep.js";

export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return "an unknown time";
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 90) return `${s}s`;
  if (s < 5400) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

/** A holder is provably gone only when it ran on this machine and its pid no longer exists. */
export function isStale(info: Partial<LockInfo>): boolean {
  if (info.controlHost !== os.hostname() || typeof info.pid !== "number") return false;
  if (info.manual) return false;
  try {
    process.kill(info.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
}

export function describeHolder(info: Partial<LockInfo>, envName: string, component: string | null = null): string {
  const parts = [
    `held by ${info.who ?? "unknown"} for ${ago(info.since)}`,
    info.manual ? `manual lock: "${info.reason ?? ""}"` : `${info.verb ?? "?"}${info.reason ? `: "${info.reason}"` : ""}`,
    `pid ${info.pid ?? "?"} on ${info.controlHost ?? "?"}`,
    `slipway ${info.version ?? "?"}`,
  ];
  let text = parts.join("; ");
  if (isStale(info))
    text += `\nthe holder process is gone: the lock is stale. Clear it with: slipway ${envName} lock release${component ? ` ${component}` : ""}`;
  return text;
}

export function newLockInfo(ctx: RunContext, verb: string, reason: string, manual: boolean): LockInfo {
  return {
    token: randomUUID(),
    who: ctx.by,
    reason,
    verb,
    since: new Date().toISOString(),
    version: ctx.toolVersion,
    controlHost: os.hostname(),
    pid: process.pid,
    manual,
  };
}

/** The holder's details after HELD: checked like any host data; unreadable details show as unknown. */
function parseHeld(out: string): Partial<LockInfo> {
  const r = parseLockInfo(out.split("\n").slice(1).join("\n").trim() || "{}");
  return r.ok ? r.value : {};
}

/** Take the lock, waiting up to `waitMs` (0: fail at once naming the holder). Returns `andThen`'s output. */
export async function acquire(ctx: RunContext, pool: ExecutorPool, info: LockInfo, waitMs: number, andThen?: string, takeOverStale = false): Promise<string> {
  const ex = await pool.get(ctx.env.primary);
  const p = pathsFor(ctx.env.primary.deployTo);
  const deadline = Date.now() + waitMs;
  let told = false;
  for (;;) {
    const out = await capture(ex, "lock", acquireLock(p, info, andThen), "acquire lock", ctx.signal, ctx.env.timeouts.check);
    if (out.startsWith("ACQUIRED")) return out.slice("ACQUIRED\n".length);
    const holder = parseHeld(out);
    if (takeOverStale && isStale(holder)) {
      // Only a provably dead holder (this machine, pid gone) is replaced: the resume continues its work.
      ctx.bus.warn(`taking over the stale lock of ${holder.who ?? "?"} (pid ${holder.pid ?? "?"} is gone)`);
      await capture(ex, "lock", releaseLock(p, null), "release stale lock", ctx.signal, ctx.env.timeouts.check);
      continue;
    }
    if (Date.now() >= deadline)
      throw new LockHeldError(
        `${ctx.env.name}${ctx.env.component ? ` ${ctx.env.component}` : ""} is locked (on ${ctx.env.primary.name}): ${describeHolder(holder, ctx.env.name, ctx.env.component)}`,
      );
    if (!told) ctx.bus.info(`waiting for the lock: ${describeHolder(holder, ctx.env.name, ctx.env.component)}`);
    told = true;
    await sleep(Math.min(1000, Math.max(50, deadline - Date.now())), ctx.signal);
  }
}

/** Release our lock (token) or, with null, whatever lock is there. Never aborts: runs during cleanup. */
export async function release(ctx: RunContext, pool: ExecutorPool, token: string | null, before?: string): Promise<string> {
  const ex = await pool.get(ctx.env.primary);
  return (
    await capture(ex, "unlock", releaseLock(pathsFor(ctx.env.primary.deployTo), token, before), "release lock", undefined, ctx.env.timeouts.check)
  ).trim();
}

export async function status(ctx: RunContext, pool: ExecutorPool): Promise<Partial<LockInfo> | null> {
  const ex = await pool.get(ctx.env.primary);
  const out = await capture(ex, "lock", readLock(pathsFor(ctx.env.primary.deployTo)), "read lock", ctx.signal, ctx.env.timeouts.check);
  return out.startsWith("HELD") ? parseHeld(out) : null;
}

/** What `fn` may do with the lock it runs under: hand it over (to a detached watcher) instead of releasing it. */
export interface HeldLock {
  readonly info: LockInfo;
  /** After this, withLock neither releases the lock nor runs `beforeRelease` (the caller ran it in the hand-over's round trip); the new holder releases the lock. */
  handOver(): void;
}

/**
 * Run `fn` holding the environment lock; released on success, failure and interrupt.
 * `andThen` runs on the primary right after the lock is taken, in the same round trip; `fn` gets its output.
 */
export async function withLock<T>(
  ctx: RunContext,
  pool: ExecutorPool,
  verb: string,
  reason: string,
  waitMs: number,
  fn: (andThenOutput: string, lock: HeldLock) => Promise<T>,
  andThen?: string,
  /** A command to run on the primary just before the lock is released (history), same round trip. */
  beforeRelease?: () => string | undefined,
  takeOverStale = false,
): Promise<T> {
  const info = newLockInfo(ctx, verb, reason, false);
  ctx.bus.emit({ type: "host:phase", host: ctx.env.primary.name, phase: "lock", status: "running" });
  const out = await acquire(ctx, pool, info, waitMs, andThen, takeOverStale);
  ctx.bus.emit({ type: "host:phase", host: ctx.env.primary.name, phase: "lock", status: "done" });
  let handedOver = false;
  try {
    return await fn(out, { info, handOver: () => (handedOver = true) });
  } finally {
    if (handedOver) ctx.bus.info(`the lock on ${ctx.env.primary.name} stays held by the verify-window watcher`);
    else
      try {
        await release(ctx, pool, info.token, beforeRelease?.());
        ctx.bus.emit({ type: "host:phase", host: ctx.env.primary.name, phase: "unlock", status: "done" });
      } catch (e) {
        ctx.bus.warn(
          `could not release the lock on ${ctx.env.primary.name}: ${(e as Error).message}. Clear it with: slipway ${ctx.env.name} lock release${ctx.env.component ? ` ${ctx.env.component}` : ""}`,
        );
      }
  }
}
