/**
 * A real `slipway serve` for end-to-end tests: started through the built CLI on port 0 (the URL is
 * read from its first line), logged into like a browser (the session cookie and the CSRF token a
 * page carries), and stopped with SIGTERM.
 */
import { expect } from "vitest";
import { type CliResult, cliSpawn } from "./helpers.js";

export interface Served {
  url: string;
  stderr: () => string;
  stop: () => Promise<CliResult>;
  done: Promise<CliResult>;
}

export async function startServe(p: { dir: string }, args: string[] = [], env: Record<string, string> = {}): Promise<Served> {
  const child = cliSpawn(["serve", "--listen", "127.0.0.1:0", ...args], { cwd: p.dir, env });
  let err = "";
  child.stderr!.on("data", (c: Buffer | string) => (err += String(c)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${err}`)), 20_000);
    child.stderr!.on("data", () => {
      const m = /listening on (https?:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void child.done.then((r) => reject(new Error(`serve exited ${r.code}: ${r.stderr}`)));
  });
  return {
    url,
    stderr: () => err,
    done: child.done,
    stop: async () => {
      child.kill("SIGTERM");
      return child.done;
    },
  };
}

export async function createToken(p: { dir: string }, name: string, role: string): Promise<string> {
  const r = await cliSpawn(["tokens", "create", "--name", name, "--role", role], { cwd: p.dir }).done;
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim();
}

export interface Browser {
  cookie: string;
  csrf: string;
}

/** Log in with a token as the login form does; the CSRF token is read from the overview page. */
export async function login(url: string, token: string): Promise<Browser> {
  const r = await fetch(`${url}/login`, { method: "POST", body: new URLSearchParams({ token, next: "/" }), redirect: "manual" });
  expect(r.status).toBe(303);
  const set = r.headers.get("set-cookie") ?? "";
  const cookie = /slipway_session=[^;]+/.exec(set)?.[0];
  expect(cookie, set).toBeTruthy();
  const page = await (await fetch(`${url}/`, { headers: { cookie: cookie! } })).text();
  const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(page)?.[1];
  expect(csrf).toBeTruthy();
  return { cookie: cookie!, csrf: csrf! };
}

/** A form post as the browser sends it (cookie, fields), not following the redirect. */
export async function postForm(url: string, route: string, b: Browser | null, fields: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(url + route, {
    method: "POST",
    body: new URLSearchParams(fields),
    redirect: "manual",
    headers: { ...(b ? { cookie: b.cookie } : {}), ...headers },
  });
  return { status: res.status, location: res.headers.get("location"), text: await res.text() };
}

/** Read a run's live stream until its `end` event (or the timeout): the lines and the outcome. */
export async function followStream(
  url: string,
  runId: number,
  auth: Record<string, string>,
  timeoutMs = 60_000,
): Promise<{ lines: string[]; outcome: string | null; firstAt: number; endAt: number }> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  const res = await fetch(`${url}/api/runs/${runId}/stream`, { headers: auth, signal: ctl.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const lines: string[] = [];
  let outcome: string | null = null;
  let buf = "";
  let firstAt = 0;
  const dec = new TextDecoder();
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += dec.decode(chunk, { stream: true });
      let i: number;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const msg = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const ev = /^event: (\w+)$/m.exec(msg)?.[1];
        const data = /^data: (.*)$/m.exec(msg)?.[1];
        if (ev === "line" && data) {
          if (!firstAt) firstAt = Date.now();
          lines.push(JSON.parse(data).text);
        }
        if (ev === "end" && data) outcome = JSON.parse(data).outcome;
      }
      if (outcome) break;
    }
  } catch (e) {
    if (!ctl.signal.aborted) throw e;
  } finally {
    clearTimeout(timer);
    ctl.abort();
  }
  return { lines, outcome, firstAt, endAt: Date.now() };
}
