/**
 * planConfigPush: pure. Given what each host has (files, push record, hash key) and what this
 * checkout renders, decide the diffs to show, which hosts change, and each host's push script
 * (files written through mktemp, the keyed-hash record). `--diff`, `--plan` and the push share it.
 */
import type { Environment, Host } from "../config/resolve.js";
import { appliesTo } from "../config/roles.js";
import { mergeEnv } from "../config/env.js";
import { pathsFor } from "../config/paths.js";
import { renderFile } from "../config/template.js";
import { fileHash, writeFile, writeHashKey, writeRecord, type PushRecord } from "../commands/configpush.js";
import type { HostScript } from "../commands/script.js";
import { MASK } from "../events/redact.js";
import { unifiedDiff } from "../render/diff.js";

/** `diff -u` of what the host has and what would be pushed, in memory (no plaintext in temp files). */
export { unifiedDiff };

export interface RenderedFile {
  dest: string;
  content: string;
  mode: string;
  secret: boolean;
  /** The same template with every secret replaced by the mask: what a diff may show. */
  masked: string;
}

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

export interface FileDiff {
  host: string;
  dest: string;
  diff: string;
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

export interface HostConfigView {
  record: PushRecord | null;
  files: Record<string, string | null>;
  key: string | null;
}

export interface ConfigPushInput {
  hosts: Host[];
  rendered: Map<string, RenderedFile[]>;
  states: Record<string, HostConfigView>;
  revision: Omit<PushRecord, "toolVersion" | "by" | "at" | "forced" | "files" | "secret">;
  forced: boolean;
  by: string;
  toolVersion: string;
  now: Date;
  /** A fresh hash key for a host that has none yet. */
  newKey: () => string;
}

export interface ConfigPushPlan {
  verb: "update-config";
  diffs: FileDiff[];
  /** Hosts where at least one file changes: the only ones `--restart` restarts. */
  changedHosts: string[];
  scripts: Record<string, HostScript>;
}

export function planConfigPush(input: ConfigPushInput): ConfigPushPlan {
  const diffs: FileDiff[] = [];
  const changedHosts: string[] = [];
  const scripts: Record<string, HostScript> = {};
  for (const h of input.hosts) {
    const files = input.rendered.get(h.name) ?? [];
    const st = input.states[h.name]!;
    const wasSecret = new Set(st.record?.secret ?? []);
    let hostChanged = false;
    for (const f of files) {
      const d = fileDiff(h, f, st.files[f.dest] ?? null, wasSecret.has(f.dest));
      if (d) {
        diffs.push({ host: h.name, dest: f.dest, diff: d });
        hostChanged = true;
      }
    }
    if (hostChanged) changedHosts.push(h.name);
    const p = pathsFor(h.deployTo);
    const key = st.key ?? input.newKey();
    const record: PushRecord = {
      ...input.revision,
      toolVersion: input.toolVersion,
      by: input.by,
      at: input.now.toISOString(),
      forced: input.forced,
      files: Object.fromEntries(files.map((f) => [f.dest, fileHash(key, f.content)])),
      secret: files.filter((f) => f.secret).map((f) => f.dest),
    };
    const commands = [...(st.key ? [] : [writeHashKey(p, key)]), ...files.map((f) => writeFile(p, f.dest, f.content, f.mode)), writeRecord(p, record)];
    scripts[h.name] = { env: {}, sections: [{ phase: "update-config", commands }] };
  }
  return { verb: "update-config", diffs, changedHosts, scripts };
}
