/** `--limit web1,worker,web-*`: host names, roles or globs, comma-separated. */
import { UsageError } from "../errors.js";
import type { Host } from "./resolve.js";

const globToRegExp = (g: string) => new RegExp("^" + g.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".") + "$");

export function selectHosts(hosts: readonly Host[], limit: string | undefined): Host[] {
  if (!limit) return [...hosts];
  const terms = limit.split(",").map((t) => t.trim()).filter(Boolean);
  const picked = new Set<string>();
  for (const t of terms) {
    const re = globToRegExp(t);
    const matches = hosts.filter((h) => re.test(h.name) || h.roles.some((r) => re.test(r)));
    if (!matches.length) throw new UsageError(`--limit ${JSON.stringify(t)} matches no host or role (hosts: ${hosts.map((h) => h.name).join(", ")})`);
    matches.forEach((h) => picked.add(h.name));
  }
  return hosts.filter((h) => picked.has(h.name));
}
