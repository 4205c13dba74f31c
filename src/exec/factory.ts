/** How a host is reached: the local backend for `transport: local`, SSH (loaded only when needed) for the rest. */
import type { Environment, Host } from "../config/resolve.js";
import type { ExecutorFactory } from "./executor.js";
import { LocalExecutor } from "./local.js";

export function executorFactory(env: Environment): ExecutorFactory {
  return async (h: Host) => {
    if (h.transport === "local") return new LocalExecutor(h, env.configDir);
    const { SshExecutor } = await import("./ssh/executor.js");
    return SshExecutor.connect(h, env.ssh);
  };
}
