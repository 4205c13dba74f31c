/**
 * What the CI and metric gates ask: an HTTP GET (Node's fetch, a timeout, the token in an
 * Authorization header only) or a command on this control machine (exit code and output). The
 * answer is read strictly: a dotted JSON path to a string or number, nothing evaluated.
 */
import { spawn } from "node:child_process";
import type { HttpProbe } from "../../config/resolve-gates.js";

export interface Answer {
  ok: boolean;
  /** HTTP status or exit code. */
  status: number;
  body: string;
  error?: string;
}

export async function httpGet(p: HttpProbe, url: string, signal: AbortSignal): Promise<Answer> {
  const stop = AbortSignal.any([signal, AbortSignal.timeout(p.timeoutMs)]);
  try {
    const res = await fetch(url, {
      headers: { accept: "application/json", ...(p.token ? { authorization: `Bearer ${p.token}` } : {}) },
      signal: stop,
      redirect: "error",
    });
    const body = (await res.text()).slice(0, 65_536);
    return { ok: res.ok, status: res.status, body };
  } catch (e) {
    const err = e as Error;
    const why = err.name === "TimeoutError" ? `no answer within ${p.timeoutMs / 1000}s` : ((err.cause as Error | undefined)?.message ?? err.message);
    return { ok: false, status: 0, body: "", error: why };
  }
}

/** Run `command` with sh on this machine; the environment adds `env` (SLIPWAY_COMMIT, ...). */
export function runLocal(command: string, env: Record<string, string>, timeoutMs: number, cwd: string, signal: AbortSignal): Promise<Answer> {
  return new Promise((resolve) => {
    const child = spawn("sh", ["-c", command], { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out = (out + d.toString()).slice(0, 65_536)));
    child.stderr.on("data", (d: Buffer) => (err = (err + d.toString()).slice(-4096)));
    let why: string | undefined;
    const kill = (reason: string) => {
      why = reason;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        /* gone */
      }
    };
    const timer = setTimeout(() => kill(`no exit within ${timeoutMs / 1000}s`), timeoutMs);
    const onAbort = () => kill("interrupted");
    signal.addEventListener("abort", onAbort, { once: true });
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ ok: false, status: 127, body: "", error: e.message });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      const lastErr = err.trim().split("\n").slice(-1)[0];
      resolve({ ok: code === 0 && !why, status: code ?? -1, body: out, error: why ?? (code !== 0 && lastErr ? lastErr : undefined) });
    });
  });
}

/** The value at a dotted path (`data.0.value`) of a JSON text; undefined when absent or not JSON. */
export function atPath(body: string, jsonPath: string | undefined): unknown {
  if (jsonPath === undefined) return body.trim();
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    return undefined;
  }
  for (const k of jsonPath.split(".")) {
    if (v === null || typeof v !== "object") return undefined;
    v = Array.isArray(v) ? (/^\d+$/.test(k) ? v[Number(k)] : undefined) : Object.hasOwn(v, k) ? (v as Record<string, unknown>)[k] : undefined;
  }
  return v;
}

/** A value shown in a gate line: short and on one line. */
export function shown(v: unknown): string {
  const s = typeof v === "string" ? JSON.stringify(v) : v === undefined ? "(nothing)" : JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}

/** A URL with `{commit}` filled in (the commit is hex, nothing to escape). */
export const fillUrl = (url: string, commit: string) => url.replaceAll("{commit}", encodeURIComponent(commit));
