/** `verify:` → the verify window: durations in ms, every check named, mistakes named by key path. */
import { UsageError } from "../errors.js";
import { DURATION, type VerifyCheckSpec, type VerifySpec } from "./schema/verify.js";

export type VerifyCheck =
  | { kind: "http"; name: string; url: string; expect: number; timeoutMs: number }
  | { kind: "command"; name: string; command: string; roles?: string[]; timeoutMs: number }
  | { kind: "metric"; name: string; url: string; query?: string; max: number; timeoutMs: number };

/** Checks repeated every `intervalMs` for `windowMs` after the switch; a failure reverts the deploy. */
export interface VerifyWindow {
  windowMs: number;
  intervalMs: number;
  checks: VerifyCheck[];
}

const UNIT: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `5m`, `0.5s`, `500ms` → milliseconds (the schema has already checked the shape). */
export function verifyDurationMs(d: string, at: string): number {
  const m = DURATION.test(d) ? /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(d) : null;
  if (!m) throw new UsageError(`${at}: expected a duration like 30s, 5m, 1h or 500ms, got ${JSON.stringify(d)}`);
  return Math.round(Number(m[1]) * UNIT[m[2]!]!);
}

/** URLs are fetched by curl on a host: only http(s), and nothing curl could read as an option. */
function checkUrl(url: string, at: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`${at}: expected an http:// or https:// URL, got ${JSON.stringify(url)}`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new UsageError(`${at}: expected an http:// or https:// URL, got ${JSON.stringify(url)}`);
  if (/[\s]/.test(url)) throw new UsageError(`${at}: a URL cannot contain spaces or newlines: ${JSON.stringify(url)}`);
  return url;
}

function oneCheck(c: VerifyCheckSpec, i: number, at: string): VerifyCheck {
  const where = `${at}.checks[${i}]`;
  const timeoutMs = verifyDurationMs(c.timeout, `${where}.timeout`);
  if (timeoutMs < 1) throw new UsageError(`${where}.timeout: must be more than 0`);
  if ("http" in c) return { kind: "http", name: c.name ?? `http-${i + 1}`, url: checkUrl(c.http, `${where}.http`), expect: c.expect, timeoutMs };
  if ("command" in c) return { kind: "command", name: c.name ?? `command-${i + 1}`, command: c.command, roles: c.roles && [...c.roles], timeoutMs };
  return { kind: "metric", name: c.name ?? `metric-${i + 1}`, url: checkUrl(c.metric, `${where}.metric`), query: c.query, max: c.max, timeoutMs };
}

/** The verify window of an environment, or null when `verify` has no `window`. `at` is the key path (verify, components.x.verify). */
export function resolveVerifyWindow(v: VerifySpec, at: string): VerifyWindow | null {
  if (v.window === undefined) {
    if (v.checks.length) throw new UsageError(`${at}.checks: checks run during a verify window: set ${at}.window (e.g. 5m)`);
    return null;
  }
  const windowMs = verifyDurationMs(v.window, `${at}.window`);
  const intervalMs = verifyDurationMs(v.interval, `${at}.interval`);
  if (windowMs < 1) throw new UsageError(`${at}.window: must be more than 0`);
  if (intervalMs < 100) throw new UsageError(`${at}.interval: must be at least 100ms`);
  if (!v.checks.length) throw new UsageError(`${at}.checks: a verify window needs at least one check`);
  const checks = v.checks.map((c, i) => oneCheck(c, i, at));
  const seen = new Set<string>();
  checks.forEach((c, i) => {
    if (seen.has(c.name)) throw new UsageError(`${at}.checks[${i}].name: ${JSON.stringify(c.name)} is used by another check`);
    seen.add(c.name);
  });
  return Object.freeze({ windowMs, intervalMs, checks });
}
