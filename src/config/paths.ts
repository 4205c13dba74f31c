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
  /** The lock holder's details (token, who, why), inside lockDir. */
  lockInfo: string;
  history: string;
  /** The deploy in progress, kept on the primary so `deploy --resume` from any machine finds it. */
  deploying: string;
  /** update-config's push record (the drift guard), and the key its file hashes are made with. */
  configState: string;
  configStateKey: string;
  /** A release's immutable manifest, its one-word status, step journal and running process group. */
  releaseManifest(id: string): string;
  releaseStatus(id: string): string;
  releaseJournal(id: string): string;
  releasePgid(id: string): string;
  /** The hashed file list of an uploaded release, and the list of files reused from the previous one. */
  releaseFiles(id: string): string;
  releaseReuse(id: string): string;
  /** A detached pre-step's state directory for one commit. */
  prestepDir(name: string, commit: string): string;
  /** A one-off command's state directory (`run --detach`, an interactive alias's env file). */
  runDir(id: string): string;
  /** The maintenance directory (`maintenance.dir`, relative to deploy_to), its flag and its page. */
  maintenance(dir: string): { dir: string; flag: string; page: string };
  /** Cutover: the directory of slot records; per service `<port> <release>` of the slot nginx points at. */
  cutoverDir: string;
  /** A path relative to deploy_to (absolute ones stay as they are), e.g. a service's upstream file. */
  under(rel: string): string;
  /** `serve`'s scheduled deploys: one directory per schedule, holding one claim directory per slot (`20261208T090000Z`). */
  scheduleDir(name: string): string;
  scheduleSlot(name: string, slot: string): string;
}

/** The metadata directory, at the root and inside each release. */
export const META_DIR = ".slipway";

/**
 * Every file name of the remote layout, named once. Builders that quote a directory and then
 * append a name (`'<dir>'/status`) use these, so their shell text stays as it was.
 */
export const FILES = {
  lockDir: "lock",
  lockInfo: "info.json",
  history: "history.ndjson",
  deploying: "deploying",
  configState: "config-state.json",
  configStateKey: "config-state.key",
  manifest: "manifest.json",
  status: "status",
  journal: "journal",
  pgid: "running.pgid",
  fileList: "files.tsv",
  reuseList: "reuse.list",
  reuseSums: "reuse.sha256",
  maintenanceFlag: "on",
  maintenancePage: "index.html",
} as const;

/**
 * A release id is also a directory name that reaches `rm -rf`: refuse anything else here, the one
 * place every release path is made, whatever a caller forgot to check.
 */
function checkedId(id: string): string {
  if (!RELEASE_ID.test(id)) throw new Error(`refusing to build a path from ${JSON.stringify(id.slice(0, 80))}: not a release id`);
  return id;
}

/** A run id (`run --detach`) names a directory too: `20261122-050403-9f3a1c`. */
export const RUN_ID = /^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$/;

/** A schedule slot as a directory name: its UTC instant to the second. */
export const SLOT_ID = /^[0-9]{8}T[0-9]{6}Z$/;
const SCHEDULE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function checkedSchedule(name: string, slot?: string): string[] {
  if (!SCHEDULE_NAME.test(name) || (slot !== undefined && !SLOT_ID.test(slot)))
    throw new Error(`refusing to build a path from ${JSON.stringify(`${name.slice(0, 80)} ${slot?.slice(0, 40) ?? ""}`)}: not a schedule slot`);
  return slot === undefined ? [name] : [name, slot];
}

function checkedRunId(id: string): string {
  if (!RUN_ID.test(id)) throw new Error(`refusing to build a path from ${JSON.stringify(id.slice(0, 80))}: not a run id`);
  return id;
}

/** `deploy_to` may start with `~/` on ssh hosts; we keep it as `$HOME`-relative text for the shell. */
export function pathsFor(deployTo: string): Paths {
  const root = deployTo.replace(/\/+$/, "") || "/";
  const j = (...p: string[]) => path.posix.join(root, ...p);
  const inMeta = (id: string, file: string) => j("releases", checkedId(id), META_DIR, file);
  return {
    root,
    releases: j("releases"),
    release: (id) => j("releases", checkedId(id)),
    releaseMeta: (id) => j("releases", checkedId(id), META_DIR),
    current: j("current"),
    shared: j("shared"),
    repo: j("repo"),
    deps: j("deps"),
    meta: j(META_DIR),
    lockDir: j(META_DIR, FILES.lockDir),
    lockInfo: j(META_DIR, FILES.lockDir, FILES.lockInfo),
    history: j(META_DIR, FILES.history),
    deploying: j(META_DIR, FILES.deploying),
    configState: j(META_DIR, FILES.configState),
    configStateKey: j(META_DIR, FILES.configStateKey),
    releaseManifest: (id) => inMeta(id, FILES.manifest),
    releaseStatus: (id) => inMeta(id, FILES.status),
    releaseJournal: (id) => inMeta(id, FILES.journal),
    releasePgid: (id) => inMeta(id, FILES.pgid),
    releaseFiles: (id) => inMeta(id, FILES.fileList),
    releaseReuse: (id) => inMeta(id, FILES.reuseList),
    prestepDir: (name, commit) => j(META_DIR, "presteps", name, commit),
    runDir: (id) => j(META_DIR, "runs", checkedRunId(id)),
    maintenance: (dir) => ({ dir: j(dir), flag: j(dir, FILES.maintenanceFlag), page: j(dir, FILES.maintenancePage) }),
    cutoverDir: j(META_DIR, "cutover"),
    under: (rel) => (rel.startsWith("/") || rel.startsWith("~/") ? rel : j(rel)),
    scheduleDir: (name) => j(META_DIR, "schedule", ...checkedSchedule(name)),
    scheduleSlot: (name, slot) => j(META_DIR, "schedule", ...checkedSchedule(name, slot)),
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
