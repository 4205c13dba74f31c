/** Pure builders for the release layout: shell text only, no I/O. Tested by string comparison. */
import path from "node:path";
import { COMMIT, FILES, META_DIR, type Paths } from "../config/paths.js";
import { and, argv, shPath, shq } from "./quote.js";
import { cmd, type ScriptCommand } from "./script.js";

/** Create the top-level layout if missing. */
export const ensureLayout = (p: Paths): ScriptCommand =>
  cmd(`mkdir -p ${shPath(p.releases)} ${shPath(p.shared)} ${shPath(p.meta)}`, `mkdir -p ${p.releases} ${p.shared} ${p.meta}`);

/** Commits reach git as arguments: only a full hex id is one (checked again here, whatever the caller parsed). */
function gitCommit(commit: string): void {
  if (!COMMIT.test(commit)) throw new Error(`refusing to pass ${JSON.stringify(commit.slice(0, 80))} to git: not a 40-character commit id`);
}

/** Keep a bare mirror of the repository per host, fetching only when the commit is missing. */
export function updateMirror(p: Paths, repo: string, commit: string): ScriptCommand {
  const r = shPath(p.repo);
  gitCommit(commit);
  // `--end-of-options`: a value that came from data is never read as a git option (--upload-pack=...).
  const has = `git -C ${r} cat-file -e --end-of-options ${shq(commit + "^{commit}")} 2>/dev/null`;
  // Fetching just the commit is one short negotiation; servers that refuse wants by id get a full
  // mirror fetch. Many hosts fetching at once can overrun a git server's accept queue, so network
  // steps are retried twice with jitter before the deploy fails.
  const retry = (c: string) => `{ ${c} || { sleep 0.$((RANDOM % 9 + 1)); ${c}; } || { sleep 1.$((RANDOM % 9)); ${c}; }; }`;
  const fetch = `git -C ${r} fetch --quiet --no-tags --end-of-options origin ${shq(commit)} 2>/dev/null || git -C ${r} fetch --quiet --prune --end-of-options origin '+refs/*:refs/*'`;
  const sh =
    `if [ -d ${r} ]; then ` +
    `${has} || { git -C ${r} remote set-url origin ${shq(repo)} && ${retry(`{ ${fetch}; }`)}; }; ` +
    `else ${retry(`{ rm -rf ${r}; git clone --quiet --mirror -- ${shq(repo)} ${r}; }`)}; fi && ` +
    `{ ${has} || { echo ${shq(`commit ${commit} not found in ${repo}`)} >&2; exit 1; }; }`;
  return cmd(sh, `git mirror ${repo} → ${p.repo} (need ${commit.slice(0, 12)})`);
}

/** Export exactly the resolved commit into the new release directory. */
export function archiveCommit(p: Paths, id: string, commit: string): ScriptCommand {
  const rel = shPath(p.release(id));
  gitCommit(commit);
  return cmd(
    `mkdir -p ${rel} && git -C ${shPath(p.repo)} archive --end-of-options ${shq(commit)} | tar -x -f - -C ${rel}`,
    `git archive ${commit.slice(0, 12)} | tar -x -C ${p.release(id)}`,
  );
}

/**
 * Receive a delta upload on stdin: changed files plus `.slipway/reuse.list`, the NUL-separated
 * files to copy from the previous release.
 */
export function receiveDelta(p: Paths, id: string, previous: string | null): string {
  const rel = shPath(p.release(id));
  const steps = [`mkdir -p ${shPath(p.releases)} ${shPath(p.shared)} ${shPath(p.meta)} ${rel}`, `tar -x -f - -C ${rel}`];
  if (previous) {
    const reuse = `${META_DIR}/${FILES.reuseList}`;
    const sums = `${META_DIR}/${FILES.reuseSums}`;
    steps.push(
      `{ [ ! -s ${rel}/${reuse} ] || { cd ${shPath(p.release(previous))} && tar -c -f - --null --no-recursion -T ${rel}/${reuse} | tar -x -f - -C ${rel}; }; }`,
      // With checksums (distribute: push), every copied file must be the commit's: else say which and let the sender send all.
      // sha256sum's own failure is what we parse, so it must not fail the pipe under the script's pipefail.
      `{ [ ! -s ${rel}/${sums} ] || (cd ${rel} && { LC_ALL=C sha256sum -c --quiet ${sums} 2>/dev/null || true; } | sed -n 's/: FAILED$//p' | grep . && exit ${REUSE_MISMATCH}; true); }`,
    );
  }
  return and(...steps);
}

/** receiveDelta inside a script, reading the files sent after the script (Section.payload: fd 3). */
export function receiveUpload(p: Paths, id: string, previous: string | null): ScriptCommand {
  return cmd(
    `{ ${receiveDelta(p, id, previous)}${RECEIVE_TAIL}`,
    `receive the changed files into ${p.release(id)}${previous ? ` (the rest copied from ${previous})` : ""}`,
  );
}

const RECEIVE_TAIL = "\n} 0<&3";
export const isReceive = (c: ScriptCommand): boolean => c.sh.endsWith(RECEIVE_TAIL);

/** receiveDelta's exit code when a reused file differs from its expected checksum. */
export const REUSE_MISMATCH = 75;

/** A dependency set's directory name under deps/: its path made into one safe word. */
export function depName(depPath: string): string {
  return depPath.replace(/[^A-Za-z0-9_-]+/g, "_").replace(/^_+|_+$/g, "") || "deps";
}

/**
 * Install a dependency set once per lockfile (and install command) at a stable path,
 * `deps/<name>-<hash>/<path>`, and link it into the release. The install runs in that directory
 * with the release's top-level files linked in, so what it writes (a virtualenv's absolute paths,
 * node_modules) lives at the stable path and stays valid when the release that built it is removed.
 */
export function installDependency(p: Paths, dep: { path: string; lockfile: string; install: string }): ScriptCommand {
  const top = dep.path.split("/")[0]!;
  const parent = path.posix.dirname(dep.path);
  const key = `{ printf '%s\\n' ${shq(dep.install)}; cat -- ${shq(dep.lockfile)}; } | sha256sum | cut -c1-16`;
  const sh = [
    `[ -f ${shq(dep.lockfile)} ] || { echo ${shq(`dependency ${dep.path}: lockfile ${dep.lockfile} is not in the release`)} >&2; exit 1; }`,
    `rel=$PWD; h=$(${key}) && d=${shPath(p.deps)}/${shq(depName(dep.path))}-$h || exit 1`,
    `if [ -f "$d/.slipway-complete" ]; then echo ${shq(`reused ${dep.path} from deps/`)}"\${d##*/}"${shq(` (${dep.lockfile} unchanged)`)}; else`,
    // A set without its completion mark is a leftover of an interrupted install: start again.
    `  rm -rf "$d" && mkdir -p "$d" || exit 1`,
    `  for e in "$rel"/* "$rel"/.[!.]* "$rel"/..?*; do b=\${e##*/}; { [ -e "$e" ] || [ -L "$e" ]; } || continue; [ "$b" = ${shq(top)} ] || [ "$b" = .slipway ] || ln -s "$e" "$d/$b"; done`,
    ...(parent !== "." ? [`  mkdir -p "$d"/${shq(parent)}`] : []),
    `  ( cd "$d" && { ${dep.install}\n} ) || exit 1`,
    // The release's files were only lent for the install: unlink them, keep what it made.
    `  for e in "$d"/* "$d"/.[!.]* "$d"/..?*; do [ -L "$e" ] && case "$(readlink "$e")" in "$rel"/*) rm -f "$e";; esac; done`,
    `  [ -e "$d"/${shq(dep.path)} ] || { echo ${shq(`dependency ${dep.path}: the install command did not create ${dep.path}`)} >&2; exit 1; }`,
    `  touch "$d/.slipway-complete"`,
    `fi`,
    `rm -rf ${shq(dep.path)} && mkdir -p ${shq(parent)} && ln -sfn "$d"/${shq(dep.path)} ${shq(dep.path)}`,
  ].join("\n");
  return cmd(sh, `install ${dep.path}: ${dep.install} (once per ${dep.lockfile}, kept in ${p.deps})`);
}

/**
 * Remove dependency sets no remaining release links to (run after old releases are removed).
 * Sets still being installed are linked already, so they are kept.
 */
export function pruneDependencies(p: Paths, depPaths: string[]): ScriptCommand {
  const links = depPaths.map((d) => `readlink "$r"${shq(d)} 2>/dev/null`).join("; ");
  const sh =
    `if [ -d ${shPath(p.deps)} ]; then used=$(for r in ${shPath(p.releases)}/*/; do ${links}; done); ` +
    `for d in ${shPath(p.deps)}/*/; do [ -d "$d" ] || continue; d=\${d%/}; case "$used" in *"$d/"*) ;; *) rm -rf "$d" || echo "warning: could not remove $d" >&2;; esac; done; fi; true`;
  return cmd(sh, `remove dependency sets in ${p.deps} that no release uses`);
}

/** Resume: stop a process group an interrupted run left running for this release (if still alive). */
export function stopLeftovers(p: Paths, id: string): ScriptCommand {
  const f = `${shPath(p.releaseMeta(id))}/${FILES.pgid}`;
  return cmd(
    `if [ -f ${f} ]; then read -r g < ${f}; read -r _ _ _ _ mine _ < /proc/$$/stat; if [ -n "$g" ] && [ "$g" != "$mine" ] && kill -0 -- -"$g" 2>/dev/null; then kill -TERM -- -"$g"; sleep 0.5; kill -KILL -- -"$g" 2>/dev/null; echo "stopped leftover processes of the interrupted run" >&2; fi; fi; true`,
    "stop processes left by the interrupted run",
  );
}

/** Hotfix: use the previous release's dependency set as it is (its link, or a copy of an old-style directory), no install. */
export function copyDependency(p: Paths, previous: string | null, dep: { path: string }): ScriptCommand {
  if (!previous) return cmd(`echo ${shq(`hotfix: no previous release to copy ${dep.path} from`)} >&2; exit 1`, `copy ${dep.path} from the previous release`);
  const prevDir = shPath(path.posix.join(p.release(previous), dep.path));
  const parent = shq(path.posix.dirname(dep.path));
  return cmd(
    `if [ -L ${prevDir} ]; then rm -rf ${shq(dep.path)} && mkdir -p ${parent} && ln -sfn "$(readlink ${prevDir})" ${shq(dep.path)}; elif [ -d ${prevDir} ]; then rm -rf ${shq(dep.path)} && cp -a ${prevDir} ${shq(dep.path)}; fi`,
    `use ${dep.path} of ${previous} (hotfix: no install)`,
  );
}

/** Write the immutable manifest and the initial status of a release. */
export function writeManifest(p: Paths, id: string, manifest: object): ScriptCommand {
  const meta = shPath(p.releaseMeta(id));
  return cmd(
    `mkdir -p ${meta} && printf '%s\\n' ${shq(JSON.stringify(manifest))} > ${meta}/${FILES.manifest} && printf building > ${meta}/${FILES.status}`,
    `write ${p.releaseManifest(id)}`,
  );
}

export type ReleaseStatus = "building" | "ok" | "failed" | "bad" | "private";

/** Status lives in its own one-word file so the manifest stays immutable. */
export function setStatus(p: Paths, id: string, status: ReleaseStatus): ScriptCommand {
  const meta = shPath(p.releaseMeta(id));
  return cmd(`if [ -d ${shPath(p.release(id))} ]; then mkdir -p ${meta} && printf ${status} > ${meta}/${FILES.status}; fi`, `mark ${id} ${status}`);
}

/**
 * Link shared dirs and files into the release, in one command (fewer processes per host):
 * a missing shared file is an error, not an empty file.
 */
export function linkShared(p: Paths, id: string, dirs: string[], files: string[]): ScriptCommand[] {
  if (!dirs.length && !files.length) return [];
  const rel = p.release(id);
  const items = [...dirs, ...files];
  const src = (x: string) => path.posix.join(p.shared, x);
  const dst = (x: string) => path.posix.join(rel, x);
  const checks = files.map(
    (f) => `{ [ -e ${shPath(src(f))} ] || { echo ${shq(`shared file missing: ${src(f)} (create it on the host first)`)} >&2; exit 1; }; }`,
  );
  const parents = [...new Set(items.map((x) => path.posix.dirname(dst(x))))];
  const sh = and(
    ...checks,
    dirs.length ? `mkdir -p ${dirs.map((d) => shPath(src(d))).join(" ")}` : "",
    `rm -rf ${items.map((x) => shPath(dst(x))).join(" ")}`,
    `mkdir -p ${parents.map(shPath).join(" ")}`,
    ...items.map((x) => `ln -s ${shPath(src(x))} ${shPath(dst(x))}`),
  );
  return [cmd(sh, `link shared ${items.join(", ")} into ${rel}`)];
}

/** Atomic switch: link to a temp name, then rename over `current` (never rm + ln). */
export function switchCurrent(p: Paths, id: string): ScriptCommand {
  const tmp = path.posix.join(p.root, `.current-${id}`);
  // Never point `current` at a release that is not there (a switch-back to a removed one must fail loudly).
  const present = `{ [ -d ${shPath(p.release(id))} ] || { echo ${shq(`release ${id} is missing on this host; current left as it was`)} >&2; exit 1; }; }`;
  return cmd(and(present, `ln -sfn ${argv(`releases/${id}`)} ${shPath(tmp)}`, `mv -T ${shPath(tmp)} ${shPath(p.current)}`), `switch current → releases/${id}`);
}

/** Remove `current` (used only when a first deploy fails after its switch). */
export function removeCurrent(p: Paths): ScriptCommand {
  return cmd(`rm -f ${shPath(p.current)}`, `remove ${p.current}`);
}

/** Remove releases; a failure only warns, because the deploy it belongs to has already succeeded. */
export function removeReleases(p: Paths, ids: string[]): ScriptCommand {
  return cmd(
    `rm -rf ${ids.map((id) => shPath(p.release(id))).join(" ")} || echo ${shq(`warning: could not remove every old release under ${p.releases}`)} >&2`,
    `remove releases ${ids.join(", ")}`,
  );
}

/** Marks a deploy in progress on the primary, so `deploy --resume` from any machine finds it. */
export function writeDeploying(p: Paths, info: object): ScriptCommand {
  return cmd(`printf '%s\\n' ${shq(JSON.stringify(info))} > ${shPath(p.meta)}/${FILES.deploying}`, "record the deploy in progress");
}

export function clearDeploying(p: Paths): string {
  return `rm -f ${shPath(p.meta)}/${FILES.deploying}`;
}

/** Append one JSON line to the host's deploy history. */
export function appendHistory(p: Paths, entry: object): ScriptCommand {
  return cmd(`mkdir -p ${shPath(p.meta)} && printf '%s\\n' ${shq(JSON.stringify(entry))} >> ${shPath(p.history)}`, `append ${p.history}`);
}

/** The per-release file digest (hand-edit detection): `releases/<id>/.slipway/digest`. */
export const DIGEST_FILE = "digest";

/**
 * `sha256sum` lines for every regular file of the release directory the command runs in, sorted by
 * name; `.slipway/`, shared-linked paths, dependency directories and `__pycache__` (written by the
 * running app) are left out. Printed to stdout.
 */
export function digestLines(skip: string[]): string {
  const prune = [".slipway", ...skip.map((s) => s.replace(/^\.\/+|\/+$/g, "")).filter(Boolean)].map((s) => `-path ${shq(`./${s}`)}`);
  return `LC_ALL=C find . \\( ${prune.join(" -o ")} -o -name __pycache__ \\) -prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum --`;
}

/** At build time, in the release directory: record the file digest (atomically: tmp + mv). */
export function writeDigest(skip: string[]): ScriptCommand {
  const f = `${META_DIR}/${DIGEST_FILE}`;
  return cmd(`{ [ -d ${META_DIR} ] || mkdir -p ${META_DIR}; } && ${digestLines(skip)} > ${f}.tmp && mv -f ${f}.tmp ${f}`, `record the file digest in ${f}`);
}

/** The digest kept for the current release, a separator, then the digest of what is there now. */
export const DIGEST_SEPARATOR = "--slipway-digest-now--";
export function readDigests(p: Paths, skip: string[]): string {
  const f = `${META_DIR}/${DIGEST_FILE}`;
  return `cd ${shPath(p.current)} 2>/dev/null || { echo NOCURRENT; exit 0; }; [ -f ${f} ] || { echo NODIGEST; exit 0; }; cat ${f} && echo ${DIGEST_SEPARATOR} && ${digestLines(skip)}`;
}
