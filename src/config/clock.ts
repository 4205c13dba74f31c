/**
 * The one clock governance and `serve`'s scheduler read (windows, announcements, approvals' age,
 * promotion soak time, scheduled deploys). `SLIPWAY_NOW` (an ISO time) fixes it, so tests never
 * depend on the real date; planners get the time as an argument and stay pure.
 *
 * `SLIPWAY_NOW_SINCE` (milliseconds since the epoch, real time) makes the fixed clock run: the time
 * is SLIPWAY_NOW at that real instant and advances with the real clock from there. Because it is
 * anchored to a real instant rather than to each process's start, a server and the deploys it spawns
 * (which inherit both variables) read the same time, so a test can start a server just before a
 * scheduled slot and watch it fire.
 */
import { UsageError } from "../errors.js";

export function now(): Date {
  const fixed = process.env.SLIPWAY_NOW;
  if (!fixed) return new Date();
  const d = new Date(fixed);
  if (Number.isNaN(d.getTime())) throw new UsageError(`SLIPWAY_NOW: ${JSON.stringify(fixed)} is not an ISO time (e.g. 2026-03-29T00:30:00Z)`);
  const since = process.env.SLIPWAY_NOW_SINCE;
  if (!since) return d;
  if (!/^\d{1,16}$/.test(since)) throw new UsageError(`SLIPWAY_NOW_SINCE: ${JSON.stringify(since)} is not a time in milliseconds since the epoch`);
  return new Date(d.getTime() + (Date.now() - Number(since)));
}
