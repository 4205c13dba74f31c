/**
 * What another environment of the same config runs (for `requires` and `promoted_from`): its
 * primary's state and history, read over its own connection (host names may repeat across
 * environments, so the session's pool is not shared). Its secrets are not needed and not read.
 */
import { loadConfig } from "../../config/load.js";
import { pathsFor } from "../../config/paths.js";
import { resolveEnvironment, type Environment } from "../../config/resolve.js";
import type { Executor } from "../../exec/executor.js";
import { LocalExecutor } from "../../exec/local.js";
import { capture } from "../../exec/runner.js";
import { type HistoryEntry, parseHistory, readHistory } from "../../plan/host-input.js";
import { commitOf, parseState, readState } from "../../plan/state.js";
import type { RunContext } from "../context.js";

export interface OtherEnv {
  env: string;
  component: string | null;
  primary: string;
  /** The commit its primary's `current` release was built from (null: nothing deployed). */
  commit: string | null;
  release: string | null;
  history: HistoryEntry[];
  problems: string[];
}

async function connect(env: Environment): Promise<Executor> {
  const h = env.primary;
  if (h.transport === "local") return new LocalExecutor(h, env.configDir);
  const { SshExecutor } = await import("../../exec/ssh/executor.js");
  return SshExecutor.connect(h, env.ssh);
}

export async function readOtherEnv(ctx: RunContext, name: string, component: string | null, historyLines = 0): Promise<OtherEnv> {
  const loaded = loadConfig(ctx.env.configFile);
  // Only the hosts and paths are used: absent secrets read as empty rather than refusing.
  const env = resolveEnvironment(loaded, name, (k) => process.env[k] ?? "", component);
  const ex = await connect(env);
  try {
    const p = pathsFor(env.primary.deployTo);
    const state = parseState(env.primary.name, await capture(ex, "preflight", readState(p), `read ${name} state`, ctx.signal, 60_000));
    const hist = historyLines
      ? parseHistory(await capture(ex, "preflight", readHistory(p, historyLines), `read ${name} history`, ctx.signal, 60_000))
      : { entries: [], problems: [] };
    return {
      env: name,
      component,
      primary: env.primary.name,
      commit: commitOf(state, state.current),
      release: state.current,
      history: hist.entries,
      problems: [...state.problems, ...hist.problems],
    };
  } finally {
    await ex.close();
  }
}
