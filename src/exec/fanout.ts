/** Fan-out is a strategy: run a function on many hosts with a concurrency cap; every failure keeps its host. */

export type HostOutcome<T> = { host: string; ok: true; value: T } | { host: string; ok: false; error: Error };

export async function forEachHost<H extends { name: string }, T>(hosts: readonly H[], parallel: number, fn: (h: H) => Promise<T>): Promise<HostOutcome<T>[]> {
  const results: HostOutcome<T>[] = new Array(hosts.length);
  let next = 0;
  const worker = async () => {
    while (next < hosts.length) {
      const i = next++;
      const h = hosts[i]!;
      try {
        results[i] = { host: h.name, ok: true, value: await fn(h) };
      } catch (e) {
        results[i] = { host: h.name, ok: false, error: e instanceof Error ? e : new Error(String(e)) };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, hosts.length)) }, worker));
  return results;
}

export const failures = <T>(rs: HostOutcome<T>[]) => rs.filter((r): r is Extract<HostOutcome<T>, { ok: false }> => !r.ok);
