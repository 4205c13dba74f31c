/** Verify-window check fragments through a real bash and curl against a local server, and their strict parser. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VerifyCheck } from "../../src/config/resolve-verify.js";
import { checkRound, checksFor, metricUrl } from "../../src/commands/verify-checks.js";
import { watcherChecks } from "../../src/apply/watch.js";
import type { Host } from "../../src/config/resolve.js";
import { parseCheckOutput } from "../../src/plan/verify-input.js";

let server: http.Server;
let base = "";
const answers: Record<string, { status: number; body: string }> = {};
const seen: string[] = [];
beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push(req.url ?? "");
    const a = answers[(req.url ?? "").split("?")[0]!] ?? { status: 404, body: "no" };
    res.statusCode = a.status;
    res.end(a.body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

/** execFile (not execFileSync): the server answering curl runs in this process. */
const bash = (sh: string) =>
  new Promise<string>((resolve, reject) => {
    import("node:child_process").then(({ execFile }) => execFile("bash", ["-c", sh], { encoding: "utf8" }, (e, out) => (e ? reject(e) : resolve(out))));
  });
const round = async (checks: VerifyCheck[], current: string) =>
  parseCheckOutput(
    await bash(checkRound(checks, current)),
    checks.map((c) => c.name),
  );

describe("verify-window checks", () => {
  it("http: status compared with expect; a refused connection is a failure with curl's evidence", async () => {
    answers["/health"] = { status: 200, body: "ok" };
    answers["/down"] = { status: 503, body: "down" };
    const r = await round(
      [
        { kind: "http", name: "health", url: `${base}/health`, expect: 200, timeoutMs: 2000 },
        { kind: "http", name: "down", url: `${base}/down`, expect: 200, timeoutMs: 2000 },
        { kind: "http", name: "gone", url: "http://127.0.0.1:1/", expect: 200, timeoutMs: 2000 },
      ],
      "/",
    );
    expect(r.problems).toEqual([]);
    expect(r.results[0]).toEqual({ name: "health", ok: true, evidence: "HTTP 200" });
    expect(r.results[1]).toEqual({ name: "down", ok: false, evidence: "HTTP 503, expected 200" });
    expect(r.results[2]).toMatchObject({ name: "gone", ok: false });
    expect(r.results[2]!.evidence).toMatch(/^HTTP 000, expected 200 \(curl exit 7: curl: \(7\)/);
  });

  it("metric: a plain number or Prometheus' first result, compared with max; garbage fails", async () => {
    answers["/rate"] = { status: 200, body: "0.005\n" };
    answers["/high"] = { status: 200, body: "0.2" };
    answers["/junk"] = { status: 200, body: "<html>$(touch /tmp/pwned)</html>" };
    answers["/api/v1/query"] = {
      status: 200,
      body: JSON.stringify({ status: "success", data: { resultType: "vector", result: [{ metric: {}, value: [1764700000.1, "0.3"] }] } }),
    };
    answers["/err"] = { status: 500, body: "boom" };
    const q = 'sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))';
    const r = await round(
      [
        { kind: "metric", name: "rate", url: `${base}/rate`, max: 0.01, timeoutMs: 2000 },
        { kind: "metric", name: "high", url: `${base}/high`, max: 0.01, timeoutMs: 2000 },
        { kind: "metric", name: "junk", url: `${base}/junk`, max: 0.01, timeoutMs: 2000 },
        { kind: "metric", name: "prom", url: `${base}/`, query: q, max: 0.25, timeoutMs: 2000 },
        { kind: "metric", name: "err", url: `${base}/err`, max: 1, timeoutMs: 2000 },
      ],
      "/",
    );
    expect(r.results.map((x) => [x.name, x.ok, x.evidence])).toEqual([
      ["rate", true, "0.005 <= 0.01"],
      ["high", false, "0.2 > 0.01"],
      ["junk", false, "not a number: <html>$(touch/tmp/pwned)</html>"],
      ["prom", false, "0.3 > 0.25"],
      ["err", false, expect.stringMatching(/^unreadable \(curl exit 22\)/)],
    ]);
    // the PromQL expression reached the server intact, URL-encoded
    expect(metricUrl({ kind: "metric", name: "p", url: `${base}/`, query: q, max: 1, timeoutMs: 1 })).toBe(
      `${base}/api/v1/query?query=${encodeURIComponent(q)}`,
    );
    expect(seen.some((u) => decodeURIComponent(u.split("query=")[1] ?? "") === q)).toBe(true);
  });

  it("command: runs in current; exit code and output tail are the evidence; hostile text stays text", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-verify-it's $(x) "));
    writeFileSync(path.join(dir, "VERSION"), "7");
    const marker = path.join(mkdtempSync(path.join(os.tmpdir(), "slipway-verify-")), "pwned");
    const r = await round(
      [
        { kind: "command", name: "version", command: `test "$(cat VERSION)" = 7`, timeoutMs: 2000 },
        { kind: "command", name: "noisy", command: `printf '%s\\t%s\\n%s\\n%s' a b '$(touch ${marker})' 'last line'; echo; exit 3`, timeoutMs: 2000 },
        { kind: "command", name: "slow", command: "sleep 5", timeoutMs: 300 },
      ],
      dir,
    );
    expect(r.results[0]).toEqual({ name: "version", ok: true, evidence: "exit 0" });
    expect(r.results[1]).toEqual({ name: "noisy", ok: false, evidence: `exit 3: a b $(touch ${marker}) last line` });
    expect(r.results[2]).toMatchObject({ name: "slow", ok: false, evidence: "exit 124: " });
    expect(() => execFileSync("test", ["-e", marker])).toThrow();
  });

  it("the parser trusts only well-formed lines for the checks asked; missing or doubled results fail", () => {
    const out = [
      "CHECK\ta\tok\tHTTP 200",
      "CHECK\tb\tok\tfine",
      "CHECK\tb\tok\tfine again",
      "CHECK\tzz\tok\tnot asked",
      "CHECK\tc\tmaybe\t?",
      "CHECK\tc\tok\ttoo\tmany",
      "some other output",
    ].join("\n");
    const r = parseCheckOutput(out, ["a", "b", "c"]);
    expect(r.results).toEqual([
      { name: "a", ok: true, evidence: "HTTP 200" },
      { name: "b", ok: false, evidence: "reported more than once" },
      { name: "c", ok: false, evidence: "printed no result" },
    ]);
    expect(r.problems).toHaveLength(3);
  });

  it("which host runs what: wait mode on the primary (role commands on their hosts); watchers on every host", () => {
    const checks: VerifyCheck[] = [
      { kind: "http", name: "h", url: "http://x", expect: 200, timeoutMs: 1 },
      { kind: "metric", name: "m", url: "http://x", max: 1, timeoutMs: 1 },
      { kind: "command", name: "c", command: "true", timeoutMs: 1 },
      { kind: "command", name: "q", command: "true", roles: ["worker"], timeoutMs: 1 },
    ];
    const web1 = { name: "web1", roles: ["web"] } as Host;
    const worker1 = { name: "worker1", roles: ["worker"] } as Host;
    expect(checksFor(checks, web1, "web1").map((c) => c.name)).toEqual(["h", "m", "c"]);
    expect(checksFor(checks, worker1, "web1").map((c) => c.name)).toEqual(["q"]);
    const w = { windowMs: 1, intervalMs: 1, checks };
    expect(watcherChecks(w, web1).map((c) => c.name)).toEqual(["h", "m", "c"]);
    expect(watcherChecks(w, worker1).map((c) => c.name)).toEqual(["h", "m", "c", "q"]);
  });
});
