/** Local backend: a "host" whose commands run on this machine with bash, in the config directory. */
import { spawn } from "node:child_process";
import { Readable } from "node:stream";
import type { Host } from "../config/resolve.js";
import { scriptInput, type Executor, type RunOptions, type RunResult } from "./executor.js";

const KILL_GRACE_MS = 2000;

/**
 * Variables of this process that local commands must not inherit: the secrets key decrypts every
 * secret, the state store's URL holds its password, and a hook that prints its environment would show them. Secrets a command needs are
 * exported by its script, by name.
 */
const WITHHELD = ["SLIPWAY_SECRETS_KEY", "SLIPWAY_STATE_URL"];

/** This process's environment minus what local commands must not see. */
export function localCommandEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const k of WITHHELD) delete out[k];
  return out;
}

export class LocalExecutor implements Executor {
  constructor(
    readonly host: Host,
    private cwd: string,
  ) {}

  script(text: string, opts: RunOptions = {}): Promise<RunResult> {
    return this.spawnBash(["-s"], scriptInput(text, opts.stdin), opts);
  }

  exec(commandLine: string, opts: RunOptions = {}): Promise<RunResult> {
    return this.spawnBash(["-c", commandLine], opts.stdin, opts);
  }

  async close(): Promise<void> {}

  private spawnBash(args: string[], stdin: RunOptions["stdin"], opts: RunOptions): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      if (opts.signal?.aborted) return reject(opts.signal.reason ?? new Error("aborted"));
      // detached: its own process group, so an abort can stop the whole tree (e.g. `npm ci`).
      const child = spawn("bash", args, { cwd: this.cwd, env: localCommandEnv(), detached: true, stdio: ["pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (c: string) => {
        stdout += c;
        opts.onStdout?.(c);
      });
      child.stderr.setEncoding("utf8").on("data", (c: string) => {
        stderr += c;
        opts.onStderr?.(c);
      });
      const killTree = () => {
        try {
          process.kill(-child.pid!, "SIGTERM");
        } catch {}
        setTimeout(() => {
          try {
            process.kill(-child.pid!, "SIGKILL");
          } catch {}
        }, KILL_GRACE_MS).unref();
      };
      opts.signal?.addEventListener("abort", killTree, { once: true });
      child.on("error", reject);
      child.on("close", (code, signal) => {
        opts.signal?.removeEventListener("abort", killTree);
        resolve({ code, signal, stdout, stderr });
      });
      child.stdin.on("error", () => {}); // the command may exit without reading its stdin
      // A source that fails (a tar that died) must end the command's input, not leave it waiting for more.
      if (stdin instanceof Readable) stdin.once("error", () => child.stdin.destroy()).pipe(child.stdin);
      else child.stdin.end(stdin ?? "");
    });
  }
}
