/** Running plan stages on hosts, and where a deploy's upload comes from. */
import { rmSync } from "node:fs";
import type { Host } from "../config/resolve.js";
import type { HostScript } from "../commands/script.js";
import { LocalExecutor } from "../exec/local.js";
import { failures, forEachHost, type HostOutcome } from "../exec/fanout.js";
import { runHostScript } from "../exec/runner.js";
import type { ExecutorPool, RunContext } from "./context.js";
import type { HostState } from "../plan/state.js";
import type { FileEntry } from "./files.js";
import type { PayloadSource } from "./artifact.js";

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
  /** How one host's script runs (the upload stage sends files with it). */
  runOne: (h: Host, script: HostScript) => Promise<void> = async (h, script) => runHostScript(await pool.get(h), script, { bus: ctx.bus, signal }),
): Promise<HostOutcome<void>[]> {
  ctx.bus.emit({ type: "phase:start", phase: label, hosts: hosts.map((h) => h.name) });
  const results = await forEachHost(hosts, ctx.parallel, async (h) => {
    const script = scripts[h.name];
    if (script) await runOne(h, script);
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

/** The upload of a deploy: a `source: dir` directory, an artifact built here from the commit, or the commit pushed. */
export async function payloadSource(
  ctx: RunContext,
  pool: ExecutorPool,
  commit: string,
  states: Record<string, HostState>,
  listed?: FileEntry[],
): Promise<PayloadSource> {
  const { uploadDelta, buildArtifact } = await import("./artifact.js");
  if (ctx.env.source.type === "dir") return uploadDelta(ctx, pool, ctx.env.source.path, listed);
  if (ctx.env.source.distribute === "push") return (await import("./push.js")).pushPayloads(ctx, commit, states);
  const artifact = await buildArtifact(ctx, commit);
  const upload = uploadDelta(ctx, pool, artifact.dir);
  return {
    ...upload,
    dispose: () => {
      upload.dispose?.();
      rmSync(artifact.root, { recursive: true, force: true });
    },
  };
}
