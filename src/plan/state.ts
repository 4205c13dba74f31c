/** What the planner knows about a host: parsed from the one read-only `readState` round trip. */
import { FILES, META_DIR, type Paths } from "../config/paths.js";
import { shPath, shq } from "../commands/quote.js";
import type { LockInfo } from "../commands/lock.js";
import type { ReleaseStatus } from "../commands/release.js";
import type { PushRecord } from "../commands/configpush.js";
import { parseCurrentTarget, parseDeploying, parseLockInfo, parseManifest, isReleaseId, excerpt, type DeployingInfo, type Manifest } from "./host-input.js";
import { DEPLOY_PHASES } from "./phases.js";

export type { DeployingInfo, Manifest } from "./host-input.js";

export interface ReleaseInfo {
  id: string;
  status: ReleaseStatus | "unknown";
  manifest: Manifest | null;
}

export interface HostState {
  host: string;
  /** deploy_to exists on the host */
  initialized: boolean;
  current: string | null;
  /** `current` exists but points at something that is not a release (shown as it was, for the refusal). */
  badCurrent?: string;
  /** Sorted oldest → newest (ids sort by time). */
  releases: ReleaseInfo[];
  lock: Partial<LockInfo> | null;
  /** A deploy that started and has not finished (primary only). */
  deploying: DeployingInfo | null;
  /** The last update-config push recorded on this host (drift guard). */
  pushRecord: PushRecord | null;
  /** Completed steps of unfinished releases on this host: release → phase → input hash. */
  journal: Record<string, Record<string, string>>;
  /** Cutover services: the slot nginx points at (port and the release it runs), by service name. */
  cutover?: Record<string, CutoverSlot>;
  /** Outputs of the extra reads asked of readState, by tag (absent: not read, e.g. no deploy_to yet). */
  extras?: Record<string, string>;
  /** What the host sent that did not parse (reported as warnings, then ignored). */
  problems: string[];
}

export interface CutoverSlot {
  port: number;
  release: string;
}

const STATUSES = new Set(["building", "ok", "failed", "bad", "private"]);

const JOURNAL_HASH = /^[0-9a-f]{8,64}$/;

/** A shell `case` pattern matching exactly RELEASE_ID (POSIX sh: the login shell may not be bash). */
const RELEASE_GLOB = `${"[0-9]".repeat(8)}-${"[0-9]".repeat(6)}-${"[0-9a-f]".repeat(7)}`;

/**
 * One read-only round trip that reports everything the planner needs: current target,
 * each release with its status and manifest, and the lock.
 */
export function readState(p: Paths, extras: Record<string, string> = {}): string {
  const root = shPath(p.root);
  // Relative to the root (one `cd`), from the same names as Paths.
  const [m, lock, cfg] = [`$d${META_DIR}`, `${META_DIR}/${FILES.lockDir}/${FILES.lockInfo}`, `${META_DIR}/${FILES.configState}`];
  const deploying = `${META_DIR}/${FILES.deploying}`;
  return [
    `cd ${root} 2>/dev/null || { echo NOROOT; exit 0; }`,
    `printf 'CURRENT\\t%s\\n' "$(readlink current 2>/dev/null)"`,
    // Only names of the release-id shape are reported as releases (a name with a newline could
    // otherwise forge lines); others are reported with unsafe characters replaced.
    `for d in releases/*/; do [ -d "$d" ] || continue; id=\${d#releases/}; id=\${id%/}; ` +
      `case "$id" in ${RELEASE_GLOB}) ;; *) printf 'BADREL\\t%s\\n' "$(printf '%s' "$id" | head -c 200 | tr -c 'A-Za-z0-9._-' '?')"; continue;; esac; ` +
      // The shell's own `read`, not cat/head/sed: no process per release (the manifest is one line; a forged
      // second line is dropped here, and a forged first line is rejected by the parser).
      `st=; man=; { read -r st || true; } < "${m}/${FILES.status}" 2>/dev/null; { read -r man || true; } < "${m}/${FILES.manifest}" 2>/dev/null; ` +
      `printf 'REL\\t%s\\t%s\\t%s\\n' "$id" "$st" "$man"; ` +
      // Each release reports its step journal, for `deploy --resume`.
      `if [ -f "${m}/${FILES.journal}" ]; then while IFS= read -r l; do printf 'JOURNAL\\t%s\\t%s\\n' "$id" "$l"; done < "${m}/${FILES.journal}"; fi; done`,
    `if [ -d ${META_DIR}/${FILES.lockDir} ]; then l=; { read -r l || true; } < ${lock} 2>/dev/null; printf 'LOCK\\t%s\\n' "$l"; fi`,
    `if [ -f ${deploying} ]; then l=; { read -r l || true; } < ${deploying}; printf 'DEPLOYING\\t%s\\n' "$l"; fi`,
    `if [ -f ${cfg} ]; then printf 'CONFIGSTATE\\t%s\\n' "$(head -c 65536 ${cfg} | tr -d '\\n')"; fi`,
    `for f in ${META_DIR}/cutover/*; do case "$f" in *.draining|*.tmp) continue;; esac; if [ -f "$f" ]; then printf 'CUTOVER\\t%s\\t%s\\n' "\${f##*/}" "$(head -c 200 "$f" | tr -d '\\n\\t')"; fi; done`,
    // Reads other steps need (a gate's evidence), in the same round trip; base64 so their output cannot forge a line.
    ...Object.entries(extras).map(
      ([tag, sh]) => `printf 'EXTRA\\t%s\\t%s\\n' ${shq(tag)} "$( ( ${sh}
) 2>/dev/null | base64 -w0)"`,
    ),
  ].join("\n");
}

/** Parse `readState` output. Anything malformed is left out and described in `problems`. */
export function parseState(host: string, stdout: string): HostState {
  const state: HostState = {
    host,
    initialized: true,
    current: null,
    releases: [],
    lock: null,
    deploying: null,
    journal: {},
    pushRecord: null,
    problems: [],
  };
  const problem = (what: string) => state.problems.push(what);
  for (const line of stdout.split("\n")) {
    if (line === "NOROOT") state.initialized = false;
    const [tag = "", a = "", b = "", ...rest] = line.split("\t");
    if (tag === "CURRENT") {
      if (!a) continue;
      state.current = parseCurrentTarget(a);
      if (state.current === null) {
        state.badCurrent = excerpt(a);
        problem(`current points at ${state.badCurrent}, which is not a release directory`);
      }
    } else if (tag === "BADREL") {
      problem(`releases/${a} is not a release id (ignored)`);
    } else if (tag === "REL") {
      if (!isReleaseId(a)) {
        problem(`releases/${excerpt(a)} is not a release id (ignored)`);
        continue;
      }
      const raw = rest.join("\t");
      let manifest: Manifest | null = null;
      if (raw) {
        const m = parseManifest(raw);
        if (m.ok && m.value.id === a) manifest = m.value;
        else problem(`releases/${a}: ${m.ok ? `manifest.json names another release (${m.value.id})` : m.problem}`);
      }
      state.releases.push({ id: a, status: STATUSES.has(b) ? (b as ReleaseStatus) : "unknown", manifest });
    } else if (tag === "LOCK") {
      const l = parseLockInfo([a, ...rest].join("\t") || "{}");
      state.lock = l.ok ? l.value : {};
      if (!l.ok) problem(l.problem);
    } else if (tag === "DEPLOYING") {
      const d = parseDeploying([a, b, ...rest].join("\t"));
      state.deploying = d.ok ? d.value : null;
      if (!d.ok) problem(`${d.problem} (ignored: deploy --resume cannot use it)`);
    } else if (tag === "CONFIGSTATE") {
      state.pushRecord = parsePushRecord([a, b, ...rest].join("\t"));
    } else if (tag === "EXTRA") {
      if (/^[a-z][a-z-]{0,30}$/.test(a) && /^[A-Za-z0-9+/=]*$/.test(b)) (state.extras ??= {})[a] = Buffer.from(b, "base64").toString("utf8");
    } else if (tag === "CUTOVER") {
      const slot = parseCutoverSlot(a, b);
      if (slot) (state.cutover ??= {})[a] = slot;
      else problem(`.slipway/cutover/${excerpt(a)}: expected "<port> <release>", got ${excerpt(b)} (ignored)`);
    } else if (tag === "JOURNAL") {
      const hash = rest[0] ?? "";
      if (isReleaseId(a) && (DEPLOY_PHASES as readonly string[]).includes(b) && JOURNAL_HASH.test(hash)) (state.journal[a] ??= {})[b] = hash;
    }
  }
  state.releases.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  return state;
}

const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** A cutover record: `<port> <release-id>` under a service's name; anything else is refused. */
export function parseCutoverSlot(service: string, text: string): CutoverSlot | null {
  const m = /^([0-9]{1,5}) (\S+)$/.exec(text.trim());
  if (!SERVICE_NAME.test(service) || !m || !isReleaseId(m[2]!)) return null;
  const port = Number(m[1]);
  return port >= 1 && port <= 65535 ? { port, release: m[2]! } : null;
}

function parsePushRecord(raw: string): PushRecord | null {
  try {
    const v = JSON.parse(raw) as unknown;
    return v && typeof v === "object" && !Array.isArray(v) ? (v as PushRecord) : null;
  } catch {
    return null;
  }
}

/** Deploys and rollbacks refuse hosts whose `current` is not one of ours: switching back would remove it. */
export function badCurrentRefusal(states: Record<string, HostState>): string | null {
  const bad = Object.values(states).filter((s) => s.badCurrent !== undefined);
  if (!bad.length) return null;
  return bad
    .map((s) => `${s.host}: current points at ${s.badCurrent}, which is not a release directory; repair it on the host (ln -sfn releases/<id> current) first`)
    .join("\n");
}

/** Releases a rollback may go to: good, older than `from`, not current. Newest first. */
export function rollbackCandidates(state: HostState, from: string | null): ReleaseInfo[] {
  return state.releases.filter((r) => r.status === "ok" && r.id !== state.current && (from === null || r.id < from)).reverse();
}

/** The commit a host's manifest records for release `id`. */
export function commitOf(state: HostState | undefined, id: string | null): string | null {
  if (!state || !id) return null;
  return state.releases.find((r) => r.id === id)?.manifest?.commit ?? null;
}
