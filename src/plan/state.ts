/** What the planner knows about a host: parsed from the one read-only `readState` round trip. */
import type { LockInfo } from "../commands/lock.js";
import type { ReleaseStatus } from "../commands/release.js";
import type { PushRecord } from "../commands/configpush.js";

export interface Manifest {
  id: string;
  app: string;
  env: string;
  commit: string;
  ref: string;
  source: "git" | "dir";
  deployedBy: string;
  createdAt: string;
  toolVersion: string;
  previous: string | null;
  /** Code only: no dependency install, build, migrations or cleanup. */
  hotfix?: boolean;
  /** Private releases (setup-release) are never switched to; cleanup keeps them until then. */
  expiresAt?: string;
}

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
  /** Sorted oldest → newest (ids sort by time). */
  releases: ReleaseInfo[];
  lock: Partial<LockInfo> | null;
  /** A deploy that started and has not finished (primary only). */
  deploying: DeployingInfo | null;
  /** The last update-config push recorded on this host (drift guard). */
  pushRecord: PushRecord | null;
  /** Completed steps of unfinished releases on this host: release → phase → input hash. */
  journal: Record<string, Record<string, string>>;
}

export interface DeployingInfo {
  release: string;
  commit: string;
  ref: string;
  by: string;
  startedAt: string;
  previous: string | null;
  hotfix?: boolean;
}

const STATUSES = new Set(["building", "ok", "failed", "bad", "private"]);

function parseJson<T>(s: string | undefined): T | null {
  if (!s) return null;
  try {
    return JSON.parse(s) as T;
  } catch {
    return null;
  }
}

export function parseState(host: string, stdout: string): HostState {
  const state: HostState = { host, initialized: true, current: null, releases: [], lock: null, deploying: null, journal: {}, pushRecord: null };
  for (const line of stdout.split("\n")) {
    if (line === "NOROOT") state.initialized = false;
    const [tag, a, b, c] = line.split("\t");
    if (tag === "CURRENT" && a) state.current = a.replace(/^.*releases\//, "").replace(/\/$/, "");
    else if (tag === "REL" && a) state.releases.push({ id: a, status: STATUSES.has(b ?? "") ? (b as ReleaseStatus) : "unknown", manifest: parseJson<Manifest>(c) });
    else if (tag === "LOCK") state.lock = parseJson<LockInfo>(a) ?? {};
    else if (tag === "DEPLOYING") state.deploying = parseJson<DeployingInfo>(a);
    else if (tag === "CONFIGSTATE") state.pushRecord = parseJson<PushRecord>(a);
    else if (tag === "JOURNAL" && a && b && c) (state.journal[a] ??= {})[b] = c.split("\t")[0]!;
  }
  state.releases.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  return state;
}

/** Releases a rollback may go to: good, older than `from`, not current. Newest first. */
export function rollbackCandidates(state: HostState, from: string | null): ReleaseInfo[] {
  return state.releases.filter((r) => r.status === "ok" && r.id !== state.current && (from === null || r.id < from)).reverse();
}
