/**
 * update-config: render settings files here, diff against what each host has, push them (0600 when
 * they carry a secret), and record hashes + config revision + tool version on the host. The drift
 * guard refuses a push or deploy from an older config revision or tool version than the host got.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { pathsFor } from "../config/paths.js";
import type { Host } from "../config/resolve.js";
import { fileHash, parsePushed, readPushed, type PushRecord } from "../commands/configpush.js";
import { planConfigPush, renderFor, type ConfigPushPlan, type FileDiff } from "../plan/configpush.js";
import { OperationError } from "../errors.js";
import { failures, forEachHost } from "../exec/fanout.js";
import { capture } from "../exec/runner.js";
import type { ExecutorPool, RunContext } from "./context.js";
import { runScripts } from "./stages.js";

export interface Revision {
  revision: string | null;
  revisionTime: number | null;
  dirty: boolean;
}

/** The commit of the repository holding slipway.yml (null outside git). */
export function configRevision(dir: string): Revision {
  try {
    const out = execFileSync("git", ["-C", dir, "log", "-1", "--format=%H %ct"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const [revision, time] = out.split(" ");
    const dirty = execFileSync("git", ["-C", dir, "status", "--porcelain", "--untracked-files=no"], { encoding: "utf8" }).trim() !== "";
    return { revision: revision ?? null, revisionTime: Number(time), dirty };
  } catch {
    return { revision: null, revisionTime: null, dirty: false };
  }
}

const semver = (v: string) =>
  v
    .split(/[.-]/)
    .slice(0, 3)
    .map((x) => Number(x) || 0);
export function olderVersion(ours: string, theirs: string): boolean {
  const a = semver(ours);
  const b = semver(theirs);
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

/** Why this control machine must not push over what the host has (null: go ahead). */
export function guardRefusal(rec: PushRecord | null, ours: Revision, toolVersion: string, configDir: string, host: string): string | null {
  if (!rec) return null;
  const who = `${host} last received config revision ${rec.revision?.slice(0, 12) ?? "(none)"} from ${rec.by} at ${rec.at} with slipway ${rec.toolVersion}${rec.forced ? " (forced)" : ""}`;
  if (olderVersion(toolVersion, rec.toolVersion)) return `${who}; your slipway ${toolVersion} is older: update it first`;
  if (!rec.revision || rec.revision === ours.revision) return null;
  if (!ours.revision) return `${who}; your slipway.yml is not in a git repository, so its revision cannot be compared`;
  const isAncestor = spawnSync("git", ["-C", configDir, "merge-base", "--is-ancestor", rec.revision, ours.revision], { stdio: "ignore" }).status === 0;
  if (isAncestor) return null;
  return `${who}; your checkout (${ours.revision.slice(0, 12)}) is older or has diverged: pull first`;
}

export interface HostConfigState {
  record: PushRecord | null;
  files: Record<string, string | null>;
  /** The key of the recorded hashes (null: none on the host yet). */
  key: string | null;
}

export async function readHostConfig(
  ctx: RunContext,
  pool: ExecutorPool,
  hosts: Host[],
  dests: (h: Host) => string[],
): Promise<Record<string, HostConfigState>> {
  const results = await forEachHost(hosts, ctx.parallel, async (h) => {
    const parsed = parsePushed(await capture(await pool.get(h), "config", readPushed(pathsFor(h.deployTo), dests(h)), "read pushed files", ctx.signal));
    return { record: parsed.state, files: parsed.files, key: parsed.key };
  });
  const failed = failures(results);
  if (failed.length) throw new OperationError(failed.map((f) => `${f.host}: ${f.error.message}`).join("\n"));
  return Object.fromEntries(results.map((r) => [r.host, (r as { value: HostConfigState }).value]));
}

export { maskOldSide, renderFor, type FileDiff, type RenderedFile } from "../plan/configpush.js";

const sha = (t: string) => createHash("sha256").update(t).digest("hex");

export interface PushResult {
  diffs: FileDiff[];
  changed: number;
  pushedHosts: Host[];
  /** The hosts where at least one file changed: the only ones `--restart` restarts. */
  changedHosts: Host[];
}

export async function updateConfig(ctx: RunContext, pool: ExecutorPool, hosts: Host[], opts: { diffOnly: boolean; force: boolean }): Promise<PushResult> {
  const plan = await previewConfigPush(ctx, pool, hosts, opts.force);
  if (!opts.diffOnly) await runScripts(ctx, pool, hosts, plan.scripts, "update-config");
  return {
    diffs: plan.diffs,
    changed: plan.diffs.length,
    pushedHosts: opts.diffOnly ? [] : hosts,
    changedHosts: opts.diffOnly ? [] : plan.changedHosts.map((n) => hosts.find((h) => h.name === n)!),
  };
}

/** Read what the hosts have, apply the drift guard, and plan the push (also `--diff` and `--plan`). */
export async function previewConfigPush(ctx: RunContext, pool: ExecutorPool, hosts: Host[], force: boolean): Promise<ConfigPushPlan> {
  const rendered = new Map(hosts.map((h) => [h.name, renderFor(ctx.env, h)]));
  const states = await readHostConfig(ctx, pool, hosts, (h) => rendered.get(h.name)!.map((f) => f.dest));
  const rev = configRevision(ctx.env.configDir);
  if (rev.dirty)
    ctx.bus.warn(`${ctx.env.configDir} has uncommitted changes: the pushed revision ${rev.revision?.slice(0, 12) ?? "(none)"} does not describe them`);
  const refusals = hosts
    .map((h) => guardRefusal(states[h.name]!.record, rev, ctx.toolVersion, ctx.env.configDir, h.name))
    .filter((x): x is string => x !== null);
  if (refusals.length && !force)
    throw new OperationError(`update-config refused (drift guard):\n${refusals.map((r) => `  ${r}`).join("\n")}\nuse --force to push anyway (it is recorded)`);
  if (refusals.length) ctx.bus.warn(`forcing past the drift guard:\n${refusals.join("\n")}`);
  const { dirty: _dirty, ...revision } = rev;
  return planConfigPush({
    hosts,
    rendered,
    states,
    revision,
    forced: refusals.length > 0,
    by: ctx.by,
    toolVersion: ctx.toolVersion,
    now: new Date(),
    newKey: () => randomBytes(32).toString("hex"),
  });
}

/** Does the host's content still match the recorded hash? (Keyed hashes; plain sha256 from older records.) */
function matchesRecord(hash: string, content: string, key: string | null): boolean {
  if (hash.startsWith("hmac-sha256:")) return key !== null && fileHash(key, content) === hash;
  return sha(content) === hash;
}

/** Files whose content on the host no longer matches what was pushed (changed by hand, or removed). */
export async function configDrift(ctx: RunContext, pool: ExecutorPool, hosts: Host[]): Promise<string[][]> {
  const states = await readHostConfig(ctx, pool, hosts, (h) => renderFor(ctx.env, h).map((f) => f.dest));
  const rows: string[][] = [];
  for (const h of hosts) {
    const st = states[h.name]!;
    if (!st.record) {
      rows.push([h.name, "(all)", "never pushed by slipway"]);
      continue;
    }
    for (const [dest, hash] of Object.entries(st.record.files)) {
      const now = st.files[dest];
      if (now === undefined || now === null) rows.push([h.name, dest, "not checked (no longer configured)"]);
      else if (!matchesRecord(hash, now, st.key)) rows.push([h.name, dest, `changed on the host since ${st.record.by} pushed it at ${st.record.at}`]);
    }
  }
  return rows;
}
