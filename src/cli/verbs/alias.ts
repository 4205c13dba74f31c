/**
 * `slipway <env> <alias> [args...]`: a command from `aliases:` run in the current release of its
 * role's primary with the app's environment. Also the runners `run -i` and `run --detach/--check`
 * share: one host, output as the command wrote it, and the command's exit code as ours.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { runScripts, StageError } from "../../apply/stages.js";
import { loadConfig } from "../../config/load.js";
import { pathsFor } from "../../config/paths.js";
import { type Alias, type Environment, type Host, resolveEnvironment } from "../../config/resolve.js";
import { rolePrimary } from "../../config/roles.js";
import { shPath } from "../../commands/quote.js";
import { aliasCommand, checkDetached, interactiveRemote, newRunId, removeRunDir, startDetached, writeEnvFile } from "../../commands/run.js";
import { cmd } from "../../commands/script.js";
import { CommandError, OperationError, Reported, UsageError } from "../../errors.js";
import { localCommandEnv } from "../../exec/local.js";
import { capture } from "../../exec/runner.js";
import type { EventSink, SlipwayEvent, Timed } from "../../events/types.js";
import { commandEnv } from "../../plan/sections.js";
import { parseRunStatus, runCheckExit, type RunStatus } from "../../plan/run-input.js";
import { sanitizeTerminal } from "../../render/sanitize.js";
import type { Globals } from "../registry.js";
import { openSession, runOperation, type Session } from "../session.js";
import { configPath } from "../verb-command.js";
import { sshArgv } from "./ssh.js";

/** An alias's host: its role's primary, or the environment's primary. */
export function aliasHost(env: Environment, a: Pick<Alias, "role">): Host {
  return a.role ? rolePrimary(env.hosts, a.role) : env.primary;
}

const freshRunId = () => newRunId(new Date(), randomBytes(3).toString("hex"));

export async function runAlias(name: string, args: string[], globals: Globals): Promise<number> {
  const env = resolveEnvironment(loadConfig(configPath(globals)), globals.env!);
  const a = env.aliases.find((x) => x.name === name);
  if (!a) throw new UsageError(`unknown alias "${name}"`);
  const command = aliasCommand(a.command, args);
  const h = aliasHost(env, a);
  return a.interactive ? runInteractive(globals, env, h, command, name) : runOnHost(globals, h, command, name);
}

/** Command output as the command wrote it (redacted by the bus): stdout to stdout, stderr to stderr. */
class RawOutput implements EventSink {
  handle(e: Timed<SlipwayEvent>): void {
    if (e.type === "output") (e.stream === "stderr" ? process.stderr : process.stdout).write(`${sanitizeTerminal(e.line)}\n`);
  }
}

/** Run `command` in the current release of `h` (one script on stdin, env exported in it); its exit code is ours. */
export async function runOnHost(globals: Globals, h: Host, command: string, label: string): Promise<number> {
  const s = await openSession(globals, { verb: label, record: true, quiet: true });
  s.bus.add(new RawOutput());
  let code = 0;
  const r = await runOperation(s, async () => {
    const script = {
      env: commandEnv(s.env, { SLIPWAY_HOST: h.name }, h),
      sections: [{ phase: "run", cwd: pathsFor(h.deployTo).current, commands: [cmd(command)] }],
    };
    try {
      await runScripts(s.ctx, s.ctx.pool, [h], { [h.name]: script }, "run");
    } catch (e) {
      const err = e instanceof StageError ? e.failed[0]?.error : e;
      // The command ran and failed: its own output said why; pass its exit code on.
      if (err instanceof CommandError && err.exitCode !== null) {
        code = err.exitCode;
        return [];
      }
      throw e;
    }
    return [];
  });
  if (r !== 0) return r;
  if (code !== 0) throw new Reported(code);
  return 0;
}

/**
 * Run `command` in a terminal with stdin. On an ssh host the system `ssh -t` runs it (as `ssh`
 * does); its environment, secrets included, goes first in a 0600 file written from a script on
 * stdin over Slipway's own connection, and the remote side reads and deletes it before the command
 * starts, so no value is ever on a command line. A local host runs it in a child with our stdio.
 */
export async function runInteractive(globals: Globals, env: Environment, h: Host, command: string, label: string): Promise<number> {
  const cwd = pathsFor(h.deployTo).current;
  if (h.transport === "local") {
    const vars = commandEnv(env, { SLIPWAY_HOST: h.name }, h);
    return waitChild(
      spawn("bash", ["-c", `cd ${shPath(cwd)} || exit 255\n${command}`], { stdio: "inherit", cwd: env.configDir, env: { ...localCommandEnv(), ...vars } }),
    );
  }
  const s = await openSession(globals, { verb: label, record: true, quiet: true });
  const p = pathsFor(h.deployTo);
  const id = freshRunId();
  let code = 0;
  const r = await runOperation(s, async () => {
    const vars = commandEnv(s.env, { SLIPWAY_HOST: h.name, SLIPWAY_RUN_ID: id }, h);
    await runScripts(s.ctx, s.ctx.pool, [h], { [h.name]: { env: {}, sections: [{ phase: "run", commands: [writeEnvFile(p, id, vars)] }] } }, "run");
    try {
      code = await waitChild(spawn("ssh", sshArgv(h, s.env.ssh, interactiveRemote(p, id, cwd, command)), { stdio: "inherit" }));
    } finally {
      // Normally the remote side already removed it; this covers ssh failing before it got there.
      await runScripts(s.ctx, s.ctx.pool, [h], { [h.name]: { env: {}, sections: [{ phase: "run", commands: [removeRunDir(p, id)] }] } }, "run").catch(() =>
        s.bus.warn(`could not remove ${p.runDir(id)} on ${h.name}; it holds the run's environment (0600)`, h.name),
      );
    }
    return [];
  });
  if (r !== 0) return r;
  if (code !== 0) throw new Reported(code);
  return 0;
}

function waitChild(child: ReturnType<typeof spawn>): Promise<number> {
  return new Promise((resolve, reject) => {
    child.on("error", (e) => reject(new UsageError(`cannot start ${child.spawnfile}: ${e.message}`)));
    child.on("close", (code, signal) => resolve(code ?? (signal ? 128 + (signalNumber(signal) ?? 0) : 1)));
  });
}

const signalNumber = (sig: NodeJS.Signals): number | undefined => ({ SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 })[sig as string];

/** `run --detach`: start the command detached on each host with one run id; prints the id. */
export async function startDetachedRun(s: Session, hosts: Host[], command: string): Promise<string> {
  const id = freshRunId();
  const scripts = Object.fromEntries(
    hosts.map((h) => {
      const p = pathsFor(h.deployTo);
      return [
        h.name,
        { env: commandEnv(s.env, { SLIPWAY_HOST: h.name }, h), sections: [{ phase: "run", commands: [startDetached(p, id, p.current, command)] }] },
      ];
    }),
  );
  try {
    await runScripts(s.ctx, s.ctx.pool, hosts, scripts, "run");
  } catch (e) {
    if (e instanceof StageError)
      throw new OperationError(
        `run ${id} failed to start on ${e.failed.length} of ${hosts.length} host(s):\n${e.failed.map((f) => f.error.message).join("\n")}`,
      );
    throw e;
  }
  return id;
}

/** `run --check <id>`: the run's state on each host (hosts without it say `none`). */
export async function checkRun(s: Session, hosts: Host[], id: string): Promise<{ host: string; status: RunStatus }[]> {
  return Promise.all(
    hosts.map(async (h) => ({
      host: h.name,
      status: parseRunStatus(await capture(await s.ctx.pool.get(h), "run", checkDetached(pathsFor(h.deployTo), id), `check run ${id}`, s.ctx.signal)),
    })),
  );
}

/** The lines `run --check` prints, and its exit code (0 done, 1 failed, 3 running). */
export function formatRunCheck(id: string, rows: { host: string; status: RunStatus }[]): { text: string; exit: 0 | 1 | 3 } {
  const have = rows.filter((r) => r.status.status !== "none");
  if (!have.length) return { text: `run ${id}: not found on ${rows.map((r) => r.host).join(", ")}\n`, exit: 1 };
  const lines: string[] = [];
  for (const { host, status: st } of have) {
    const exit = st.exit !== undefined ? ` (exit code ${st.exit})` : "";
    lines.push(`run ${id} on ${host}: ${st.status}${exit}`);
    if (st.started) lines.push(`  started: ${st.started}${st.finished ? `, finished: ${st.finished}` : ""}`);
    if (st.log.length) lines.push("  progress (log tail):", ...st.log.map((l) => `    ${l}`));
    for (const pr of st.problems) lines.push(`  warning: ${pr}`);
  }
  return { text: `${lines.join("\n")}\n`, exit: runCheckExit(have.map((r) => r.status.status)) };
}
