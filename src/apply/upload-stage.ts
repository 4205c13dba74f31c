/**
 * The build stage of a deploy whose files come from the control machine: each host's pack travels
 * after its build script on the same exec channel, so the upload costs no round trip of its own.
 * The script's fetch section extracts it (release.ts receiveUpload) before anything else runs.
 */
import { pathsFor } from "../config/paths.js";
import type { Host } from "../config/resolve.js";
import { isReceive, receiveDelta, REUSE_MISMATCH } from "../commands/release.js";
import type { HostScript } from "../commands/script.js";
import { CommandError } from "../errors.js";
import { runHostScript } from "../exec/runner.js";
import type { HostState } from "../plan/state.js";
import type { Pack } from "./artifact.js";
import type { ExecutorPool, RunContext } from "./context.js";
import { payloadSource, runScripts } from "./stages.js";
import type { FileEntry } from "./files.js";

export async function runUploadStage(
  ctx: RunContext,
  pool: ExecutorPool,
  hosts: Host[],
  scripts: Record<string, HostScript>,
  label: string,
  upload: { id: string; commit: string; states: Record<string, HostState>; files?: FileEntry[] },
): Promise<void> {
  // A resumed deploy whose fetch is journaled on every host sends nothing (and builds no artifact).
  const readers = hosts.filter((h) => scripts[h.name]?.sections.some((s) => s.payload));
  const source = readers.length ? await payloadSource(ctx, pool, upload.commit, upload.states, upload.files) : null;
  try {
    await runScripts(ctx, pool, hosts, scripts, label, ctx.signal, async (h, script) => {
      const ex = await pool.get(h);
      if (!source || !script.sections.some((s) => s.payload)) return runHostScript(ex, script, { bus: ctx.bus, signal: ctx.signal });
      const prev = upload.states[h.name]?.current ?? null;
      const pack = await source.packFor(h, prev);
      if (pack.drifted)
        ctx.bus.info(`${pack.drifted} file(s) of ${prev} differ from the commit (edited on the host, or rewritten by its build): sent, not copied`, h.name);
      const named: string[] = [];
      const stdout = (line: string, phase: string) => {
        if (phase === "fetch" && line.startsWith("./")) named.push(line.slice(2));
        ctx.bus.emit({ type: "output", host: h.name, phase, stream: "stdout", line });
      };
      try {
        await runHostScript(ex, script, { bus: ctx.bus, signal: ctx.signal, payload: payloadOf(pack), stdout });
        ctx.bus.info(`uploaded ${pack.send} changed file(s), reused ${pack.reuse} from ${prev ?? "nothing"}`, h.name);
      } catch (e) {
        if (!(e instanceof CommandError) || e.exitCode !== REUSE_MISMATCH || e.phase !== "fetch" || !source.resend || ctx.signal.aborted) throw e;
        const fixed = await resendMismatched(ctx, pool, h, upload.id, pack, named, source.resend);
        ctx.bus.info(`uploaded ${pack.send + fixed} changed file(s), reused ${pack.reuse - fixed} from ${prev ?? "nothing"}`, h.name);
        await runHostScript(ex, afterReceive(script), { bus: ctx.bus, signal: ctx.signal });
      }
    });
  } finally {
    source?.dispose?.();
  }
}

/**
 * Copied files differ from the commit (edited on the host, or rewritten by a build): send those. Only
 * names the pack asked the host to copy are believed; anything else in the answer means the whole tree.
 */
async function resendMismatched(
  ctx: RunContext,
  pool: ExecutorPool,
  h: Host,
  id: string,
  pack: Pack,
  named: string[],
  resend: (paths: string[]) => Promise<Pack>,
): Promise<number> {
  const fixes = named.length && named.every((f) => pack.reusePaths?.has(f)) ? named : [];
  ctx.bus.info(`${fixes.length || "some"} copied file(s) differ from the commit; sending ${fixes.length ? "them" : "the whole tree"}`, h.name);
  const fix = await resend(fixes);
  const p = pathsFor(h.deployTo);
  const res = await (await pool.get(h)).exec(receiveDelta(p, id, null), { stdin: payloadOf(fix), signal: ctx.signal });
  if (res.code !== 0) {
    const tail = res.stderr.trim().split("\n").slice(-10).join("\n");
    throw new CommandError(h.name, "fetch", `upload ${fix.send} file(s) again → ${p.release(id)}`, res.code, tail);
  }
  return fix.send;
}

/** A big pack is a fresh stream per reader; a small one the shared bytes. */
const payloadOf = (pack: Pack) => (typeof pack.tar === "function" ? pack.tar() : pack.tar);

/** The script from just after its receive command (what ran before it is not run twice; its journal hash differs, so a resume redoes the fetch). */
function afterReceive(script: HostScript): HostScript {
  const at = script.sections.findIndex((s) => s.payload);
  const sec = script.sections[at]!;
  const rest = sec.commands.slice(sec.commands.findIndex(isReceive) + 1);
  const { payload: _, ...plain } = sec;
  return { ...script, sections: [...(rest.length ? [{ ...plain, commands: rest }] : []), ...script.sections.slice(at + 1)] };
}
