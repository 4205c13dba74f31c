/**
 * Plan text for big fleets: hosts whose commands are the same print once, as a group with a host
 * range ("web1–web48 (48 hosts)"); hosts that differ in a few lines print only those lines.
 */
import type { HostScript } from "../commands/script.js";

/** How a host's own deploy_to is written in grouped output when deploy_to differs between hosts. */
export const DEPLOY_TO = "$DEPLOY_TO";

/** A variant prints as a diff against the main group only while it is this small; else in full. */
const MAX_DIFF_SHARE = 0.25;

/** `web1–web48`, `web1–web3, db1`: runs of 3+ consecutive numbered names collapse; order is kept. */
export function hostRange(names: string[]): string {
  const parts: string[] = [];
  for (let i = 0; i < names.length; ) {
    let j = i;
    while (j + 1 < names.length && follows(names[j]!, names[j + 1]!)) j++;
    if (j - i >= 2) parts.push(`${names[i]}–${names[j]}`);
    else parts.push(...names.slice(i, j + 1));
    i = j + 1;
  }
  return parts.join(", ");
}

/** `web1–web48 (48 hosts)`: the range with its count, always. */
export function hostsWithCount(names: string[]): string {
  return `${hostRange(names)} (${names.length} host${names.length === 1 ? "" : "s"})`;
}

/** b is the name after a: same prefix, numeric suffix one higher (keeping zero padding: web09 → web10). */
function follows(a: string, b: string): boolean {
  const ma = /^(.*?)(\d+)$/.exec(a);
  const mb = /^(.*?)(\d+)$/.exec(b);
  if (!ma || !mb || ma[1] !== mb[1]) return false;
  return String(Number(ma[2]) + 1).padStart(ma[2]!.length, "0") === mb[2];
}

/** The lines a host's script prints in a plan: each command under its phase. */
export function commandLines(script: HostScript | undefined): string[] {
  return (script?.sections ?? []).flatMap((s) => s.commands.map((c) => `${s.phase.padEnd(8)} $ ${c.display}`));
}

/**
 * Whether grouped output writes each host's deploy_to as $DEPLOY_TO: only when the hosts' roots
 * differ (local hosts, per-host overrides); when they are all the same the real path reads better.
 */
export function abstractRoots(hosts: string[], roots: Record<string, string> | undefined): boolean {
  if (!roots) return false;
  return new Set(hosts.map((h) => roots[h])).size > 1;
}

/** A host's own deploy_to replaced by $DEPLOY_TO where it is a whole path prefix (so /x/h1 never matches inside /x/h10). */
export function relativeTo(line: string, root: string | undefined): string {
  if (!root) return line;
  const r = root.replace(/\/+$/, "");
  return line.replace(new RegExp(`${r.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?=[/\\s'"]|$)`, "g"), DEPLOY_TO);
}

/**
 * The one "deploy_to" line of a grouped plan: a pattern when every root is the host's name inside
 * one common path (`./hosts/<host>` style), else one line per host.
 */
export function rootsLines(hosts: string[], roots: Record<string, string>): string[] {
  const first = hosts[0]!;
  const at = roots[first]!.lastIndexOf(first);
  if (at >= 0) {
    const [pre, post] = [roots[first]!.slice(0, at), roots[first]!.slice(at + first.length)];
    if (hosts.every((h) => roots[h] === `${pre}${h}${post}`)) return [`  ${DEPLOY_TO} = ${pre}<host>${post}`];
  }
  return [`  ${DEPLOY_TO} per host:`, ...hosts.map((h) => `    ${h}  ${roots[h]}`)];
}

/**
 * Every host's commands, grouped: hosts with byte-identical lines share one block; a group that
 * differs from the largest one in only a few lines prints just those lines (+ added, - left out).
 */
export function groupedCommands(hosts: string[], lineOf: (host: string) => string[]): string[] {
  const groups = new Map<string, { hosts: string[]; lines: string[] }>();
  for (const h of hosts) {
    const lines = lineOf(h);
    const key = lines.join("\n");
    const g = groups.get(key) ?? { hosts: [], lines };
    g.hosts.push(h);
    groups.set(key, g);
  }
  const all = [...groups.values()];
  const main = all.reduce((a, b) => (b.hosts.length > a.hosts.length ? b : a));
  const out: string[] = [];
  for (const g of [main, ...all.filter((x) => x !== main)]) {
    // A diff against a lone host reads worse than the host's own list: only against a real group.
    const diff = g === main || main.hosts.length < 2 ? null : lineDiff(main.lines, g.lines);
    if (diff && diff.length <= Math.max(2, Math.ceil(main.lines.length * MAX_DIFF_SHARE))) {
      out.push(`  ${hostsWithCount(g.hosts)}: as ${hostRange(main.hosts)}, except:`, ...diff.map((l) => `    ${l}`));
    } else out.push(`  ${hostsWithCount(g.hosts)}:`, ...g.lines.map((l) => `    ${l}`));
  }
  return out;
}

/** The lines b adds (`+`) and leaves out (`-`) against a, in order (longest common subsequence). */
export function lineDiff(a: string[], b: string[]): string[] {
  const n = a.length;
  const m = b.length;
  const lcs = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      i++;
      j++;
    } else if (i < n && (j === m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) out.push(`- ${a[i++]}`);
    else out.push(`+ ${b[j++]}`);
  }
  return out;
}
