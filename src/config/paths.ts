/** Every remote path is derived here (Capistrano's dsl/paths.rb), so no builder invents its own. */
import path from "node:path";

export interface Paths {
  root: string;
  releases: string;
  release(id: string): string;
  releaseMeta(id: string): string;
  current: string;
  shared: string;
  repo: string;
  /** Installed dependency sets, one directory per set and lockfile hash, linked into releases. */
  deps: string;
  meta: string;
  lockDir: string;
  history: string;
}

/**
 * A release id is also a directory name that reaches `rm -rf`: refuse anything else here, the one
 * place every release path is made, whatever a caller forgot to check.
 */
function checkedId(id: string): string {
  if (!RELEASE_ID.test(id)) throw new Error(`refusing to build a path from ${JSON.stringify(id.slice(0, 80))}: not a release id`);
  return id;
}

/** `deploy_to` may start with `~/` on ssh hosts; we keep it as `$HOME`-relative text for the shell. */
export function pathsFor(deployTo: string): Paths {
  const root = deployTo.replace(/\/+$/, "") || "/";
  const j = (...p: string[]) => path.posix.join(root, ...p);
  return {
    root,
    releases: j("releases"),
    release: (id) => j("releases", checkedId(id)),
    releaseMeta: (id) => j("releases", checkedId(id), ".slipway"),
    current: j("current"),
    shared: j("shared"),
    repo: j("repo"),
    deps: j("deps"),
    meta: j(".slipway"),
    lockDir: j(".slipway", "lock"),
    history: j(".slipway", "history.ndjson"),
  };
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** Release ids sort by time and name the commit: `20261122-050403-abc1234`. */
export function releaseId(now: Date, commit: string): string {
  const d = now;
  const stamp = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}-${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
  return `${stamp}-${commit.slice(0, 7)}`;
}

/** A release id never contains `/`, `..`, or shell-special characters: it is also a directory name. */
export const RELEASE_ID = /^[0-9]{8}-[0-9]{6}-[0-9a-f]{7}$/;

/** A full commit id as git prints it (a dir source's content hash has the same shape). */
export const COMMIT = /^[0-9a-f]{40}$/;

/** The UTC time encoded in a release id, or null for a name that is not one of ours. */
export function parseReleaseTime(id: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})-/.exec(id);
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!));
}
