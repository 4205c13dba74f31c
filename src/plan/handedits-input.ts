/**
 * Hand-edit detection, pure part: the digest a release got at build time (`.slipway/digest`,
 * `sha256sum` lines) against the digest of what its directory holds now. Both come from a host,
 * so lines are parsed strictly; a malformed line is reported, never trusted.
 */
import { DIGEST_SEPARATOR } from "../commands/release.js";

export interface HandEdits {
  /** `none`: the host runs no release; `no-digest`: a release built before digests (nothing to compare). */
  state: "compared" | "none" | "no-digest";
  changed: string[];
  added: string[];
  removed: string[];
  problems: string[];
}

const LINE = /^\\?([0-9a-f]{64}) [ *](.+)$/;

/** `sha256sum` output → path → hash (a leading `\` marks a name with escaped characters; kept as printed). */
export function parseDigest(text: string): { files: Map<string, string>; problems: string[] } {
  const files = new Map<string, string>();
  const problems: string[] = [];
  for (const [i, line] of text.split("\n").entries()) {
    if (!line) continue;
    const m = LINE.exec(line);
    if (!m || m[2]!.length > 4096) problems.push(`digest line ${i + 1} is not \`<sha256>  <path>\`: ${JSON.stringify(line.slice(0, 80))}`);
    else files.set(m[2]!.replace(/^\.\//, ""), m[1]!);
  }
  return { files, problems };
}

/** What `readDigests` printed → the files changed, added and removed since the build. */
export function compareDigests(out: string): HandEdits {
  const empty = { changed: [], added: [], removed: [], problems: [] };
  const t = out.trim();
  if (t === "NOCURRENT") return { state: "none", ...empty };
  if (t === "NODIGEST") return { state: "no-digest", ...empty };
  const at = out.indexOf(`\n${DIGEST_SEPARATOR}\n`);
  const sepFirst = out.startsWith(`${DIGEST_SEPARATOR}\n`);
  if (at < 0 && !sepFirst) return { state: "no-digest", ...empty, problems: ["the digest reply has no separator"] };
  const kept = parseDigest(sepFirst ? "" : out.slice(0, at));
  const now = parseDigest(out.slice(sepFirst ? DIGEST_SEPARATOR.length + 1 : at + DIGEST_SEPARATOR.length + 2));
  const changed: string[] = [];
  const added: string[] = [];
  const removed: string[] = [];
  for (const [f, h] of now.files) {
    const k = kept.files.get(f);
    if (k === undefined) added.push(f);
    else if (k !== h) changed.push(f);
  }
  for (const f of kept.files.keys()) if (!now.files.has(f)) removed.push(f);
  return { state: "compared", changed: changed.sort(), added: added.sort(), removed: removed.sort(), problems: [...kept.problems, ...now.problems] };
}

/** The digest of what the current release holds now (path → sha256), or null when the reply has none. */
export function currentDigest(out: string): Map<string, string> | null {
  const at = out.indexOf(`\n${DIGEST_SEPARATOR}\n`);
  if (at >= 0) return parseDigest(out.slice(at + DIGEST_SEPARATOR.length + 2)).files;
  return out.startsWith(`${DIGEST_SEPARATOR}\n`) ? parseDigest(out.slice(DIGEST_SEPARATOR.length + 1)).files : null;
}

export const editCount = (e: HandEdits) => e.changed.length + e.added.length + e.removed.length;

/** One host's edits as lines (`changed app.py`), at most `max` of them. */
export function editLines(e: HandEdits, max = 50): string[] {
  const all = [...e.changed.map((f) => `changed ${f}`), ...e.added.map((f) => `added   ${f}`), ...e.removed.map((f) => `removed ${f}`)];
  return all.length > max ? [...all.slice(0, max), `… and ${all.length - max} more`] : all;
}
