/**
 * The one clock governance reads (windows, announcements, approvals' age, promotion soak time).
 * `SLIPWAY_NOW` (an ISO time) fixes it, so tests never depend on the real date; planners get the
 * time as an argument and stay pure.
 */
import { UsageError } from "../errors.js";

export function now(): Date {
  const fixed = process.env.SLIPWAY_NOW;
  if (!fixed) return new Date();
  const d = new Date(fixed);
  if (Number.isNaN(d.getTime())) throw new UsageError(`SLIPWAY_NOW: ${JSON.stringify(fixed)} is not an ISO time (e.g. 2026-03-29T00:30:00Z)`);
  return d;
}
