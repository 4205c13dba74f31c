/** `--limit web1,worker,web-*,web[12]`: host names, roles or globs (picomatch), comma-separated. */
import picomatch from "picomatch";
import { UsageError } from "../errors.js";
import type { Host } from "./resolve.js";

/** The hosts named by `limit` (all when it is empty), in config order; a term matching nothing is a usage error. */
export function selectHosts(hosts: readonly Host[], limit: string | undefined): Host[] {
  if (!limit) return [...hosts];
  const terms = limit
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);
  const picked = new Set<string>();
  for (const t of terms) {
    // dot: a host name like db.internal is a name, not a hidden file.
    const isMatch = picomatch(t, { dot: true });
    const matches = hosts.filter((h) => isMatch(h.name) || h.roles.some((r) => isMatch(r)));
    if (!matches.length) throw new UsageError(`--limit ${JSON.stringify(t)} matches no host or role (hosts: ${hosts.map((h) => h.name).join(", ")})`);
    for (const h of matches) picked.add(h.name);
  }
  return hosts.filter((h) => picked.has(h.name));
}
