/**
 * update-config: render settings files here, diff against what each host has, push them (0600 when
 * they carry a secret), and record hashes + config revision + tool version on the host. The drift
 * guard refuses a push or deploy from an older config revision or tool version than the host got.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathsFor } from "../config/paths.js";
import type { Environment, Host } from "../config/resolve.js";
import { renderFile } from "../config/template.js";
import { parsePushed, readPushed, writeFile, writeRecord, type PushRecord } from "../commands/configpush.js";
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
  hash: string;
}

const sha = (t: string) => createHash("sha256").update(t).digest("hex");

/** Every file for one host, rendered from its templates. */
export function renderFor(env: Environment, h: Host): RenderedFile[] {
  const vars = { ...env.vars, ...env.env, ...(h.env ?? {}), ...env.secrets, SLIPWAY_APP: env.app, SLIPWAY_ENV: env.name, SLIPWAY_HOST: h.name };
  const secretNames = new Set(Object.keys(env.secrets));
  return env.configFiles
    .filter((f) => !f.roles || f.roles.some((r) => h.roles.includes(r)))
    .map((f) => {
      const r = renderFile(f.template, vars, secretNames);
      const secret = r.usedSecrets.length > 0;
      return { dest: f.dest, content: r.text, mode: secret ? "0600" : (f.mode ?? "0644"), secret, hash: sha(r.text) };
    });
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

const semver = (v: string) => v.split(/[.-]/).slice(0, 3).map((x) => Number(x) || 0);
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
}

export async function readHostConfig(ctx: RunContext, pool: ExecutorPool, hosts: Host[], dests: (h: Host) => string[]): Promise<Record<string, HostConfigState>> {
  const results = await forEachHost(hosts, ctx.parallel, async (h) => {
    const parsed = parsePushed(await capture(await pool.get(h), "config", readPushed(pathsFor(h.deployTo), dests(h)), "read pushed files", ctx.signal));
    return { record: parsed.state, files: parsed.files };
  });
  const failed = failures(results);
  if (failed.length) throw new OperationError(failed.map((f) => `${f.host}: ${f.error.message}`).join("\n"));
  return Object.fromEntries(results.map((r) => [r.host, (r as { value: HostConfigState }).value]));
}

/** `diff -u` of what the host has and what would be pushed. */
export function unifiedDiff(label: string, before: string | null, after: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-diff-"));
  try {
    writeFileSync(path.join(dir, "a"), before ?? "");
    writeFileSync(path.join(dir, "b"), after);
    const r = spawnSync("diff", ["-u", "--label", `${label} (on host)`, "--label", `${label} (new)`, path.join(dir, "a"), path.join(dir, "b")], { encoding: "utf8" });
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface PushResult {
  diffs: string[];
  changed: number;
  pushedHosts: Host[];
}

export async function updateConfig(ctx: RunContext, pool: ExecutorPool, hosts: Host[], opts: { diffOnly: boolean; force: boolean }): Promise<PushResult> {
  const rendered = new Map(hosts.map((h) => [h.name, renderFor(ctx.env, h)]));
  const states = await readHostConfig(ctx, pool, hosts, (h) => rendered.get(h.name)!.map((f) => f.dest));
  const rev = configRevision(ctx.env.configDir);
  if (rev.dirty) ctx.bus.warn(`${ctx.env.configDir} has uncommitted changes: the pushed revision ${rev.revision?.slice(0, 12) ?? "(none)"} does not describe them`);
  const refusals = hosts.map((h) => guardRefusal(states[h.name]!.record, rev, ctx.toolVersion, ctx.env.configDir, h.name)).filter((x): x is string => x !== null);
  if (refusals.length && !opts.force) throw new OperationError(`update-config refused (drift guard):\n${refusals.map((r) => `  ${r}`).join("\n")}\nuse --force to push anyway (it is recorded)`);
  if (refusals.length) ctx.bus.warn(`forcing past the drift guard:\n${refusals.join("\n")}`);
  const diffs: string[] = [];
  let changed = 0;
  const scripts: Record<string, HostScript> = {};
  for (const h of hosts) {
    const files = rendered.get(h.name)!;
    const before = states[h.name]!.files;
    for (const f of files) {
      const d = unifiedDiff(`${h.name}:${f.dest}`, before[f.dest] ?? null, f.content);
      if (d) {
        diffs.push(d);
        changed++;
      }
    }
    const p = pathsFor(h.deployTo);
    const record: PushRecord = { ...rev, toolVersion: ctx.toolVersion, by: ctx.by, at: new Date().toISOString(), forced: refusals.length > 0, files: Object.fromEntries(files.map((f) => [f.dest, f.hash])) };
    delete (record as { dirty?: boolean }).dirty;
    scripts[h.name] = { env: {}, sections: [{ phase: "update-config", commands: [...files.map((f) => writeFile(p, f.dest, f.content, f.mode)), writeRecord(p, record)] }] };
  }
  if (!opts.diffOnly) await runScripts(ctx, pool, hosts, scripts, "update-config");
  return { diffs, changed, pushedHosts: opts.diffOnly ? [] : hosts };
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
      else if (sha(now) !== hash) rows.push([h.name, dest, `changed on the host since ${st.record.by} pushed it at ${st.record.at}`]);
    }
  }
  return rows;
}
