/**
 * Verify-window checks as shell: one fragment per check printing one line
 * `CHECK<TAB>name<TAB>ok|fail<TAB>evidence`, parsed by plan/verify-input.ts. The same fragments run
 * in a deploy's round trips (wait mode) and in the detached watcher's loop (`--no-wait`), so both
 * judge a check the same way. URLs are fetched with curl on the host, so `127.0.0.1` means the host.
 */
import type { VerifyCheck } from "../config/resolve-verify.js";
import type { Host } from "../config/resolve.js";
import { appliesTo } from "../config/roles.js";
import { shPath, shq } from "./quote.js";

/** The longest evidence a check reports (one line, so a flood of output cannot hide the verdict). */
export const EVIDENCE_MAX = 300;

/** Defines `slipway_check NAME ok|fail EVIDENCE`: flattens tabs and newlines, caps the length. */
export function checkPrelude(): string {
  return (
    `slipway_check() { local ev; ev=$(printf '%s' "$3" | tr '\\t\\r\\n' '   ' | cut -c1-${EVIDENCE_MAX}); ` +
    `printf 'CHECK\\t%s\\t%s\\t%s\\n' "$1" "$2" "$ev"; }`
  );
}

const secs = (ms: number) => `${Math.max(0.1, ms / 1000)}`;

/** The URL a metric check fetches: the Prometheus HTTP API with `query`, else the URL itself. */
export function metricUrl(c: Extract<VerifyCheck, { kind: "metric" }>): string {
  return c.query === undefined ? c.url : `${c.url.replace(/\/+$/, "")}/api/v1/query?query=${encodeURIComponent(c.query)}`;
}

function httpFragment(c: Extract<VerifyCheck, { kind: "http" }>): string {
  const n = shq(c.name);
  // With -sS curl's error goes to stderr and the code (000 when nothing answered) last on stdout.
  return [
    `out=$(curl -sS -o /dev/null -w '%{http_code}' --max-time ${secs(c.timeoutMs)} -- ${shq(c.url)} 2>&1); rc=$?; code=\${out: -3}`,
    `if [ "$rc" = 0 ] && [ "$code" = ${c.expect} ]; then slipway_check ${n} ok "HTTP $code"; ` +
      `else slipway_check ${n} fail "HTTP $code, expected ${c.expect}$([ "$rc" = 0 ] || printf ' (curl exit %s: %s)' "$rc" "\${out%???}")"; fi`,
  ].join("\n");
}

function commandFragment(c: Extract<VerifyCheck, { kind: "command" }>, current: string): string {
  const n = shq(c.name);
  return [
    `out=$(cd ${shPath(current)} && timeout -k 1 ${secs(c.timeoutMs)}s bash -c ${shq(c.command)} 2>&1 < /dev/null); rc=$?`,
    `if [ "$rc" = 0 ]; then slipway_check ${n} ok "exit 0"; else slipway_check ${n} fail "exit $rc: $(printf '%s' "$out" | tail -n 3)"; fi`,
  ].join("\n");
}

function metricFragment(c: Extract<VerifyCheck, { kind: "metric" }>): string {
  const n = shq(c.name);
  const max = shq(String(c.max));
  // Prometheus answers {"data":{"result":[{"value":[<time>,"<value>"]}]}}: the first result's value.
  const pick =
    c.query === undefined
      ? `v=$(printf '%s' "$body" | tr -d ' \\t\\r\\n')`
      : `v=$(printf '%s' "$body" | tr -d ' \\t\\r\\n' | grep -o '"value":\\[[^],]*,"[^"]*"' | head -n 1 | sed 's/.*,"//; s/"$//')`;
  return [
    `body=$(curl -sS -f --max-time ${secs(c.timeoutMs)} -- ${shq(metricUrl(c))} 2>&1); rc=$?`,
    `if [ "$rc" != 0 ]; then slipway_check ${n} fail "unreadable (curl exit $rc): $(printf '%s' "$body" | tail -c 200)"; else`,
    pick,
    `if [[ $v =~ ^-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?$ ]]; then`,
    `if awk -v v="$v" -v m=${max} 'BEGIN { exit !(v + 0 <= m + 0) }'; then slipway_check ${n} ok "$v <= "${max}; else slipway_check ${n} fail "$v > "${max}; fi`,
    `else slipway_check ${n} fail "not a number: $(printf '%s' "\${v:-$body}" | head -c 80)"; fi; fi`,
  ].join("\n");
}

/** One check as shell (needs checkPrelude first); `current` is the host's `current` directory. */
export function checkFragment(c: VerifyCheck, current: string): string {
  if (c.kind === "http") return httpFragment(c);
  if (c.kind === "command") return commandFragment(c, current);
  return metricFragment(c);
}

/**
 * Which checks a host runs: HTTP and metric checks on the primary (one view of the service is
 * enough); command checks on the primary, or on the hosts with one of their `roles`.
 */
export function checksFor(checks: readonly VerifyCheck[], host: Host, primary: string): VerifyCheck[] {
  return checks.filter((c) => (c.kind === "command" && c.roles ? appliesTo(c.roles, host) : host.name === primary));
}

/** One round of checks: the prelude, then each fragment (a failing one does not stop the others). */
export function checkRound(checks: readonly VerifyCheck[], current: string): string {
  return [checkPrelude(), ...checks.map((c) => checkFragment(c, current))].join("\n");
}
