/**
 * The detached verify-window watcher (`deploy --no-wait`): a bash loop started on a host in its own
 * session (setsid, nohup, no inherited stdio, like the pre-steps) so it outlives the CLI. It runs
 * the same check fragments as wait mode every interval until the window ends; on a failing check it
 * runs the revert script the CLI compiled at start (the rollback plan's scripts for this host). On
 * the primary it also appends the automatic rollback's history line and releases the environment
 * lock it was handed (only with that lock's token). Its state lives in
 * `.slipway/watch/<release>/state` (one JSON object, replaced atomically), read by `status`.
 */
import path from "node:path";
import { FILES, RELEASE_ID, type Paths } from "../config/paths.js";
import type { VerifyCheck } from "../config/resolve-verify.js";
import { releaseLock } from "./lock.js";
import { exportLine, shPath, shq } from "./quote.js";
import { cmd, type ScriptCommand } from "./script.js";
import { checkRound } from "./verify-checks.js";

/** `.slipway/watch/<release>` (the release id is checked: it becomes a directory name). */
export function watchDir(p: Paths, release: string): string {
  if (!RELEASE_ID.test(release)) throw new Error(`refusing to build a path from ${JSON.stringify(release.slice(0, 80))}: not a release id`);
  return path.posix.join(p.meta, "watch", release);
}

export interface WatcherSpec {
  host: string;
  release: string;
  previous: string;
  windowMs: number;
  intervalMs: number;
  checks: readonly VerifyCheck[];
  /** Exported at the top of the loop (the app's env, secrets included: the directory is 0700). */
  env: Record<string, string>;
  /** The compiled revert script for this host (switch back, mark bad, restart). */
  revert: string;
  /** Primary only: the history line's fields known at start; the loop adds at, outcome, durationMs, evidence. */
  history?: object;
  /** Primary only: the token of the lock this watcher holds. */
  lockToken?: string;
  /** Primary only: webhooks told about the automatic rollback, by event (the host posts with curl). */
  webhooks?: { succeeded: string[]; failed: string[]; env: string; app: string };
}

/** `notify EVENT TEXT EVIDENCE`: the same JSON body as the control machine's webhooks send. */
function notifyFunction(h: WatcherSpec["webhooks"]): string {
  if (!h || (!h.succeeded.length && !h.failed.length)) return "notify() { true; }";
  const post = (urls: string[]) =>
    // The URL (often a secret) goes to curl on stdin as a config line, never on its command line.
    urls
      .map(
        (u) =>
          `printf '%s\\n' ${shq(`url = ${JSON.stringify(u)}`)} | curl -sS -f -m 10 -o /dev/null -H 'content-type: application/json' --data-binary "$body" -K - >> "$D/log" 2>&1 || true`,
      )
      .join("; ") || "true";
  return [
    "notify() {",
    `  local body; body=$(printf '{"text":"%s","event":"%s","env":%s,"app":%s,"automatic":true,"release":"%s","from":"%s","evidence":"%s"}' "$(slipway_json "$2")" "$1" ${shq(JSON.stringify(h.env))} ${shq(JSON.stringify(h.app))} "$PREV" "$REL" "$(slipway_json "$3")")`,
    `  if [ "$1" = rollback.succeeded ]; then ${post(h.succeeded)}; else ${post(h.failed)}; fi`,
    "}",
  ].join("\n");
}

/** JSON-escape a shell variable's text (evidence is already one line; control characters dropped). */
const JSON_ESC = `slipway_json() { printf '%s' "$1" | tr -d '\\000-\\037' | sed 's/\\\\/\\\\\\\\/g; s/"/\\\\"/g'; }`;

/** The loop script (watch.sh): exits when the window passes, after a revert, or when `current` moved. */
export function watcherScript(p: Paths, w: WatcherSpec): string {
  const d = shPath(watchDir(p, w.release));
  const expected = w.checks.length;
  const historyTail = w.history ? shq(JSON.stringify(w.history).slice(1)) : "";
  const unlock = w.lockToken ? releaseLock(p, w.lockToken) : "true";
  return [
    "#!/usr/bin/env bash",
    ...Object.entries(w.env).map(([k, v]) => exportLine(k, v)),
    `D=${d}; REL=${shq(w.release)}; PREV=${shq(w.previous)}; HOST=${shq(w.host)}; ENVNAME=${shq(w.webhooks?.env ?? "")}`,
    `now_ms() { date +%s%3N; }`,
    `iso() { date -u -d "@$(( $1 / 1000 ))" +%Y-%m-%dT%H:%M:%SZ; }`,
    JSON_ESC,
    `T0=$(now_ms); UNTIL=$(( T0 + ${w.windowMs} )); ROUNDS=0`,
    `state() { local ev=""; [ -n "$2" ] && ev=",\\"evidence\\":\\"$(slipway_json "$2")\\""; printf '{"status":"%s","release":"%s","previous":"%s","started":"%s","until":"%s","rounds":%d,"updated":"%s"%s}\\n' "$1" "$REL" "$PREV" "$(iso "$T0")" "$(iso "$UNTIL")" "$ROUNDS" "$(iso "$(now_ms)")" "$ev" > "$D/state.tmp" && mv -f "$D/state.tmp" "$D/state"; }`,
    `record_history() { ${w.history ? `mkdir -p ${shPath(p.meta)} && printf '{"at":"%s","outcome":"%s","durationMs":%d,"evidence":"%s",%s\\n' "$(iso "$(now_ms)")" "$1" "$(( $(now_ms) - T0 ))" "$(slipway_json "$2")" ${historyTail} >> ${shPath(p.history)}` : "true"}; }`,
    `unlock() { ${unlock} >> "$D/log" 2>&1; }`,
    notifyFunction(w.webhooks),
    `state watching`,
    "while :; do",
    `  if [ "$(readlink ${shPath(p.current)})" != "releases/$REL" ]; then state stopped "current is no longer $REL: $(readlink ${shPath(p.current)})"; unlock; exit 0; fi`,
    `  out=$( { ${checkRound(w.checks, p.current)}\n} 2>>"$D/log" < /dev/null ); ROUNDS=$(( ROUNDS + 1 ))`,
    `  printf '%s\\n' "$out" >> "$D/log"`,
    `  fail=$(printf '%s\\n' "$out" | awk -F'\\t' '$1 == "CHECK" && $3 != "ok" { print "check " $2 ": " $4; exit }')`,
    `  oks=$(printf '%s\\n' "$out" | awk -F'\\t' '$1 == "CHECK" && $3 == "ok"' | wc -l)`,
    `  if [ -z "$fail" ] && [ "$oks" -ne ${expected} ]; then fail="checks reported $oks of ${expected} results"; fi`,
    `  if [ -n "$fail" ]; then`,
    `    ev="$fail (on $HOST, round $ROUNDS)"; state reverting "$ev"`,
    `    if bash "$D/revert.sh" > "$D/revert.log" 2>&1; then state reverted "$ev"; record_history ok "$ev"; notify rollback.succeeded "automatic rollback of $ENVNAME to $PREV: $ev" "$ev"`,
    `    else state revert-failed "$ev; revert: $(tail -n 3 "$D/revert.log" | tr '\\n' ' ')"; record_history failed "$ev"; notify rollback.failed "automatic rollback of $ENVNAME to $PREV FAILED: $ev" "$ev"; fi`,
    `    unlock; exit 0`,
    "  fi",
    `  state watching`,
    `  left=$(( UNTIL - $(now_ms) )); if [ "$left" -le 0 ]; then state passed; unlock; exit 0; fi`,
    `  [ "$left" -gt ${w.intervalMs} ] && left=${w.intervalMs}`,
    `  sleep "$(( left / 1000 )).$(printf '%03d' $(( left % 1000 )))"`,
    "done",
    "",
  ].join("\n");
}

/** Write watch.sh and revert.sh (0700 dir, 0600 files), then start the loop detached. Prints `WATCH started <pid>`. */
export function startWatcher(p: Paths, w: WatcherSpec): ScriptCommand {
  const d = shPath(watchDir(p, w.release));
  const sh =
    `mkdir -p ${d} && chmod 700 ${d} && ( umask 077 && printf '%s' ${shq(watcherScript(p, w))} > ${d}/watch.sh && printf '%s' ${shq(w.revert)} > ${d}/revert.sh ) && ` +
    `{ setsid nohup bash ${d}/watch.sh >> ${d}/log 2>&1 < /dev/null & echo $! > ${d}/pid; } && echo "WATCH started $(cat ${d}/pid)"`;
  return cmd(sh, `start the verify-window watcher (detached) for ${w.release}`);
}

/**
 * The newest watcher's state on a host, for `status`: `VWATCH\t<release>\t<alive yes|no>` then
 * `VWATCHSTATE\t<state file as one line>`; nothing when no watcher ever ran.
 */
export function readWatch(p: Paths): string {
  const base = shPath(path.posix.join(p.meta, "watch"));
  return [
    `w=$(ls -1 ${base} 2>/dev/null | grep -E '^[0-9]{8}-[0-9]{6}-[0-9a-f]{7}$' | sort | tail -n 1)`,
    `if [ -n "$w" ]; then alive=no; kill -0 "$(cat ${base}/"$w"/pid 2>/dev/null)" 2>/dev/null && alive=yes;`,
    `printf 'VWATCH\\t%s\\t%s\\n' "$w" "$alive"; printf 'VWATCHSTATE\\t%s\\n' "$(head -c 4096 ${base}/"$w"/state 2>/dev/null | tr -d '\\n')"; fi`,
  ].join("\n");
}

/**
 * Hand the environment lock to the watcher: rewrite its details (same token, so only the watcher's
 * release matches) to say who holds it until when. Prints HANDED or NOTOURS.
 */
export function handOverLock(p: Paths, token: string, info: object): string {
  const dir = shPath(p.lockDir);
  return `if grep -qF ${shq(`"token":"${token}"`)} ${dir}/${FILES.lockInfo} 2>/dev/null; then printf '%s\\n' ${shq(JSON.stringify(info))} > ${dir}/${FILES.lockInfo}.tmp && mv -f ${dir}/${FILES.lockInfo}.tmp ${dir}/${FILES.lockInfo} && echo HANDED; else echo NOTOURS; fi`;
}
