/** Running plan stages on hosts, and the local tar upload for `source: dir`. */
import { rmSync } from "node:fs";
import path from "node:path";
import type { Host } from "../config/resolve.js";
import type { HostScript } from "../commands/script.js";
import { LocalExecutor } from "../exec/local.js";
import { failures, forEachHost, type HostOutcome } from "../exec/fanout.js";
import { runHostScript } from "../exec/runner.js";
import type { ExecutorPool, RunContext } from "./context.js";
import type { HostState } from "../plan/state.js";
import type { FileEntry } from "./files.js";

export class StageError extends Error {
  constructor(
    readonly phase: string,
    readonly failed: { host: string; error: Error }[],
  ) {
    super(failed.map((f) => f.error.message).join("\n"));
  }
}

/** Run one script per host concurrently; throws StageError listing every host that failed. */
export async function runScripts(
  ctx: RunContext,
  pool: ExecutorPool,
  hosts: Host[],
  scripts: Record<string, HostScript>,
  label: string,
  signal = ctx.signal,
): Promise<HostOutcome<void>[]> {
  ctx.bus.emit({ type: "phase:start", phase: label, hosts: hosts.map((h) => h.name) });
  const results = await forEachHost(hosts, ctx.parallel, async (h) => {
    const script = scripts[h.name];
    if (script) await runHostScript(await pool.get(h), script, { bus: ctx.bus, signal });
  });
  const failed = failures(results);
  ctx.bus.emit({ type: "phase:end", phase: label, ok: failed.length === 0 });
  if (failed.length) throw new StageError(label, failed);
  return results;
}

/** Local hooks run once, on the control machine, in the config directory. */
export async function runLocal(ctx: RunContext, script: HostScript, signal = ctx.signal): Promise<void> {
  const ex = new LocalExecutor({ name: "local", transport: "local", roles: [], primary: false, deployTo: ctx.env.configDir }, ctx.env.configDir);
  await runHostScript(ex, script, { bus: ctx.bus, signal });
}

/** Upload stage: a `source: dir` directory, or an artifact built here from the commit; only changed files travel. */
export async function uploadSource(
  ctx: RunContext,
  pool: ExecutorPool,
  hosts: Host[],
  id: string,
  commit: string,
  states: Record<string, HostState>,
  listed?: FileEntry[],
): Promise<void> {
  const { uploadDelta, buildArtifact } = await import("./artifact.js");
  if (ctx.env.source.type === "dir") return uploadDelta(ctx, pool, hosts, id, ctx.env.source.path, states, listed);
  if (ctx.env.source.distribute === "push") return (await import("./push.js")).pushCommit(ctx, pool, hosts, id, commit, states);
  const artifact = buildArtifact(ctx, path.join(ctx.stateDir, "cache"), commit);
  try {
    await uploadDelta(ctx, pool, hosts, id, artifact.dir, states);
  } finally {
    rmSync(artifact.root, { recursive: true, force: true });
  }
}
