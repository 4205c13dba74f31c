/** Running plan stages on hosts, and the local tar upload for `source: dir`. */
import { spawn } from "node:child_process";
import { pathsFor } from "../config/paths.js";
import type { Host } from "../config/resolve.js";
import { receiveTarball } from "../commands/release.js";
import type { HostScript } from "../commands/script.js";
import { CommandError, InterruptedError } from "../errors.js";
import { LocalExecutor } from "../exec/local.js";
import { failures, forEachHost, type HostOutcome } from "../exec/fanout.js";
import { runHostScript } from "../exec/runner.js";
import type { ExecutorPool, RunContext } from "./context.js";
import type { HostState } from "../plan/state.js";

export class StageError extends Error {
  constructor(
    readonly phase: string,
    readonly failed: { host: string; error: Error }[],
  ) {
    super(failed.map((f) => f.error.message).join("\n"));
  }
}

/** Run one script per host concurrently; throws StageError listing every host that failed. */
export async function runScripts(ctx: RunContext, pool: ExecutorPool, hosts: Host[], scripts: Record<string, HostScript>, label: string, signal = ctx.signal): Promise<HostOutcome<void>[]> {
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

/** Upload stage: `source: dir` streams the directory (artifact mode arrives via artifact.ts). */
export async function uploadSource(ctx: RunContext, pool: ExecutorPool, hosts: Host[], id: string, _states: Record<string, HostState>): Promise<void> {
  if (ctx.env.source.type === "dir") await uploadDir(ctx, pool, hosts, ctx.env.source.path, id);
}

/** `source: dir`: stream a tarball of the directory into releases/<id> on each host. */
export async function uploadDir(ctx: RunContext, pool: ExecutorPool, hosts: Host[], dir: string, id: string): Promise<void> {
  ctx.bus.emit({ type: "phase:start", phase: "fetch", hosts: hosts.map((h) => h.name) });
  const results = await forEachHost(hosts, ctx.parallel, async (h) => {
    ctx.bus.emit({ type: "host:phase", host: h.name, phase: "fetch", status: "running" });
    const tar = spawn("tar", ["-C", dir, "--exclude=./.git", "-cf", "-", "."], { stdio: ["ignore", "pipe", "pipe"] });
    const ex = await pool.get(h);
    const res = await ex.exec(receiveTarball(pathsFor(h.deployTo), id), { stdin: tar.stdout, signal: ctx.signal });
    if (ctx.signal.aborted) throw new InterruptedError();
    if (res.code !== 0) {
      const tail = res.stderr.trim().split("\n").slice(-10).join("\n");
      ctx.bus.emit({ type: "command:failed", host: h.name, phase: "fetch", command: `upload ${dir}`, exitCode: res.code, stderrTail: tail });
      throw new CommandError(h.name, "fetch", `upload ${dir} → ${pathsFor(h.deployTo).release(id)}`, res.code, tail);
    }
  });
  const failed = failures(results);
  ctx.bus.emit({ type: "phase:end", phase: "fetch", ok: failed.length === 0 });
  if (failed.length) throw new StageError("fetch", failed);
}
