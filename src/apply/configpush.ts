/**
 * update-config: render settings files here, diff against what each host has, push them (0600 when
 * they carry a secret), and record hashes + config revision + tool version on the host. The drift
 * guard refuses a push or deploy from an older config revision or tool version than the host got.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { pathsFor } from "../config/paths.js";
import type { Environment, Host } from "../config/resolve.js";
import { appliesTo } from "../config/roles.js";
import { mergeEnv } from "../config/env.js";
import { renderFile } from "../config/template.js";
import { fileHash, parsePushed, readPushed, writeFile, writeHashKey, writeRecord, type PushRecord } from "../commands/configpush.js";
import { MASK } from "../events/redact.js";
import { unifiedDiff } from "../render/diff.js";
import type { HostScript } from "../commands/script.js";
import { OperationError } from "../errors.js";
import { failures, forEachHost } from "../exec/fanout.js";
import { capture } from "../exec/runner.js";
import type { ExecutorPool, RunContext } from "./context.js";
import { runScripts } from "./stages.js";

export interface RenderedFile {
  dest: string;
  content: string;
  mode: string;
  secret: boolean;
  /** The same template with every secret replaced by the mask: what a diff may show. */
  masked: string;
}

const sha = (t: string) => createHash("sha256").update(t).digest("hex");

/** Every file for one host, rendered from its templates. */
export function renderFor(env: Environment, h: Host): RenderedFile[] {
  // Template vars sit under the command environment, merged in its one order.
  const vars = { ...env.vars, ...mergeEnv(env, h, { SLIPWAY_APP: env.app, SLIPWAY_ENV: env.name, SLIPWAY_HOST: h.name }) };
  const secretNames = new Set(Object.keys(env.secrets));
  const maskedVars = { ...vars, ...Object.fromEntries([...secretNames].map((n) => [n, MASK])) };
  return env.configFiles
    .filter((f) => appliesTo(f.roles, h))
    .map((f) => {
      const r = renderFile(f.template, vars, secretNames);
      const secret = r.usedSecrets.length > 0;
      const masked = secret ? renderFile(f.template, maskedVars, secretNames).text : r.text;
      return { dest: f.dest, content: r.text, mode: secret ? "0600" : (f.mode ?? "0644"), secret, masked };
    });
}

/**
 * The host's copy of a secret-bearing file as a diff may show it: a line is kept only if it is a
 * line of the masked new rendering (or matches one, the mask standing for any text), otherwise it
 * becomes the mask. So an old (rotated) secret, whole or any line of it, can never be printed:
 * everything shown comes from the template, not from the host.
 */
export function maskOldSide(before: string, maskedNew: string): string {
  const known = maskedNew.split("\n");
  const exact = new Set(known);
  const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const patterns = known.filter((l) => l.includes(MASK)).map((l) => ({ line: l, re: new RegExp(`^${l.split(MASK).map(escapeRe).join(".+?")}$`) }));
  return before
    .split("\n")
    .map((l, i, all) => (i === all.length - 1 && l === "" ? l : exact.has(l) ? l : (patterns.find((p) => p.re.test(l))?.line ?? MASK)))
    .join("\n");
}

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

/** `diff -u` of what the host has and what would be pushed, in memory (no plaintext in temp files). */
export { unifiedDiff };

export interface FileDiff {
  host: string;
  dest: string;
  diff: string;
}

export interface PushResult {
  diffs: FileDiff[];
  changed: number;
  pushedHosts: Host[];
  /** The hosts where at least one file changed: the only ones `--restart` restarts. */
  changedHosts: Host[];
}

/** The diff of one file; for a file that carries (or carried) secrets, only template text and masks. */
function fileDiff(h: Host, f: RenderedFile, before: string | null, wasSecret: boolean): string {
  const label = `${h.name}:${f.dest}`;
  if (before === f.content) return "";
  if (!f.secret && !wasSecret) return unifiedDiff(label, before, f.content);
  const d = unifiedDiff(label, before === null ? null : maskOldSide(before, f.masked), f.masked);
  // Only secret values changed (a rotation): say so rather than print nothing.
  return d || `--- ${label} (on host)\n+++ ${label} (new)\n@@ secret values changed (not shown) @@\n`;
}

export async function updateConfig(ctx: RunContext, pool: ExecutorPool, hosts: Host[], opts: { diffOnly: boolean; force: boolean }): Promise<PushResult> {
  const rendered = new Map(hosts.map((h) => [h.name, renderFor(ctx.env, h)]));
  const states = await readHostConfig(ctx, pool, hosts, (h) => rendered.get(h.name)!.map((f) => f.dest));
  const rev = configRevision(ctx.env.configDir);
  if (rev.dirty)
    ctx.bus.warn(`${ctx.env.configDir} has uncommitted changes: the pushed revision ${rev.revision?.slice(0, 12) ?? "(none)"} does not describe them`);
  const refusals = hosts
    .map((h) => guardRefusal(states[h.name]!.record, rev, ctx.toolVersion, ctx.env.configDir, h.name))
    .filter((x): x is string => x !== null);
  if (refusals.length && !opts.force)
    throw new OperationError(`update-config refused (drift guard):\n${refusals.map((r) => `  ${r}`).join("\n")}\nuse --force to push anyway (it is recorded)`);
  if (refusals.length) ctx.bus.warn(`forcing past the drift guard:\n${refusals.join("\n")}`);
  const diffs: FileDiff[] = [];
  const changedHosts: Host[] = [];
  const scripts: Record<string, HostScript> = {};
  for (const h of hosts) {
    const files = rendered.get(h.name)!;
    const st = states[h.name]!;
    const wasSecret = new Set(st.record?.secret ?? []);
    let hostChanged = false;
    for (const f of files) {
      const d = fileDiff(h, f, st.files[f.dest] ?? null, wasSecret.has(f.dest));
      if (d) {
        diffs.push({ host: h.name, dest: f.dest, diff: d });
        hostChanged = true;
      }
    }
    if (hostChanged) changedHosts.push(h);
    const p = pathsFor(h.deployTo);
    const key = st.key ?? randomBytes(32).toString("hex");
    const record: PushRecord = {
      ...rev,
      toolVersion: ctx.toolVersion,
      by: ctx.by,
      at: new Date().toISOString(),
      forced: refusals.length > 0,
      files: Object.fromEntries(files.map((f) => [f.dest, fileHash(key, f.content)])),
      secret: files.filter((f) => f.secret).map((f) => f.dest),
    };
    delete (record as { dirty?: boolean }).dirty;
    const commands = [...(st.key ? [] : [writeHashKey(p, key)]), ...files.map((f) => writeFile(p, f.dest, f.content, f.mode)), writeRecord(p, record)];
    scripts[h.name] = { env: {}, sections: [{ phase: "update-config", commands }] };
  }
  if (!opts.diffOnly) await runScripts(ctx, pool, hosts, scripts, "update-config");
  return { diffs, changed: diffs.length, pushedHosts: opts.diffOnly ? [] : hosts, changedHosts: opts.diffOnly ? [] : changedHosts };
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
