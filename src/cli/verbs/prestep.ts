/**
 * `slipway <env> prestep <name> [--ref R]` starts a detached pre-step for a commit ahead of the deploy;
 * `--check` reports it: exit 0 done, 1 failed, 3 still running (with progress and the log tail);
 * `--wait` waits for it, showing progress.
 */
import { applyDeploy } from "../../apply/deploy.js";
import { gatherStates } from "../../apply/gather.js";
import { findPrestep, notifyFinished, prestepHost, prestepStatus, startInRelease, waitForPrestep } from "../../apply/prestep.js";
import { resolveSource } from "../../apply/source.js";
import type { Globals } from "../registry.js";
import { openSession, parseVerb, runOperation, verbCommand } from "../session.js";
import { Reported } from "../../errors.js";

interface Opts {
  ref?: string;
  check?: boolean;
  wait?: boolean;
}

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    "prestep",
    "Start a long-running pre-step (detached, survives the SSH connection), check it, or wait for it.",
    "slipway production prestep reindex && slipway production prestep reindex --check",
  )
    .argument("<name>", "a pre-step from `presteps:`")
    .option("--ref <ref>", "the commit it is for (default: the config's ref)")
    .option("--check", "report its state: exit 0 done, 1 failed, 3 still running")
    .option("--wait", "wait until it ends, showing progress");
  const parsed = parseVerb<Opts>(cmd, args, globals);
  if (!parsed) return 0;
  const { opts } = parsed;
  const name = parsed.args[0]!;
  const s = await openSession(opts, { verb: `prestep ${name}`, record: !opts.check, quiet: opts.check });
  const ps = findPrestep(s.env, name);
  const host = prestepHost(s.env, ps);
  let exitCode = 0;
  const code = await runOperation(s, async () => {
    const pool = s.ctx.pool;
    const { commit } = await resolveSource(s.env.source, opts.ref);
    const st = await prestepStatus(s.ctx, pool, ps, commit);
    if (opts.check) {
      const lines = [
        `pre-step ${name} for ${commit.slice(0, 12)} on ${host.name}: ${st.status === "none" ? "not started" : st.status}`,
        ...(st.progress ? [`progress: ${st.progress}`] : []),
        ...(st.started ? [`started: ${st.started}${st.finished ? `, finished: ${st.finished} (exit ${st.exit})` : ""}`] : []),
        ...(st.log.length ? ["log tail:", ...st.log.map((l) => `  ${l}`)] : []),
      ];
      if (opts.json) s.out.data({ name, commit, host: host.name, ...st });
      else s.out.text(lines.join("\n") + "\n");
      await notifyFinished(s.ctx, pool, ps, commit, st);
      exitCode = st.status === "done" ? 0 : st.status === "running" ? 3 : 1;
      return [];
    }
    if (st.status === "running" || st.status === "done") {
      s.bus.info(`pre-step ${name} is already ${st.status} for ${commit.slice(0, 12)} on ${host.name}`);
    } else {
      // It needs the new code: use a release of this commit on its host, or build a private one.
      const states = await gatherStates(s.ctx, pool, [host]);
      let release = states[host.name]!.releases.filter((r) => r.manifest?.commit === commit && (r.status === "ok" || r.status === "private")).at(-1)?.id;
      if (!release) {
        release = (await applyDeploy(s.ctx, [host], { ref: commit, lockWaitMs: 0, privateDays: 2 })).releaseId;
      }
      await startInRelease(s.ctx, pool, ps, commit, release);
      s.bus.info(
        `started pre-step ${name} for ${commit.slice(0, 12)} on ${host.name} in ${release}; check with: slipway ${s.env.name} prestep ${name} --check`,
      );
    }
    if (opts.wait) await waitForPrestep(s.ctx, pool, ps, commit);
    return [];
  });
  if (code !== 0) return code;
  if (exitCode !== 0) throw new Reported(exitCode);
  return 0;
}
