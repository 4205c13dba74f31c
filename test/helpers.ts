/** Test helpers: run the built CLI for real, in temp dirs, against real git repos and local hosts. */
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync, existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const MAIN = path.join(ROOT, "dist/cli/main.js");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function tmpdir(prefix = "slipway-test-"): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function cli(args: string[], opts: { cwd: string; env?: Record<string, string> }): CliResult {
  const r = spawnSync(process.execPath, [MAIN, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env, FORCE_COLOR: "0" },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function cliSpawn(args: string[], opts: { cwd: string; env?: Record<string, string> }): ChildProcess & { done: Promise<CliResult> } {
  const child = spawn(process.execPath, [MAIN, ...args], { cwd: opts.cwd, env: { ...process.env, ...opts.env } });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  child.stderr!.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  const done = new Promise<CliResult>((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
  return Object.assign(child, { done });
}

/** A git repository with an app, where each `commit` changes files. */
export class Repo {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.git("init", "-q", "-b", "main");
  }
  git(...args: string[]): string {
    return execFileSync("git", ["-c", "user.name=Test", "-c", "user.email=t@example.invalid", "-C", this.dir, ...args], { encoding: "utf8" }).trim();
  }
  commit(files: Record<string, string>, message = "change"): string {
    for (const [f, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(this.dir, f)), { recursive: true });
      writeFileSync(path.join(this.dir, f), content);
    }
    this.git("add", "-A");
    this.git("commit", "-q", "-m", message);
    return this.git("rev-parse", "HEAD");
  }
}

/** A scratch project: config dir with a repo at ./app and N local hosts under ./hosts. */
export class Project {
  readonly dir: string;
  readonly repo: Repo;
  constructor(prefix = "slipway-e2e-") {
    this.dir = tmpdir(prefix);
    this.repo = new Repo(path.join(this.dir, "app"));
  }
  hostDir(name: string): string {
    return path.join(this.dir, "hosts", name);
  }
  writeConfig(yaml: string): void {
    writeFileSync(path.join(this.dir, "slipway.yml"), yaml);
  }
  run(...args: string[]): CliResult {
    return cli(args, { cwd: this.dir });
  }
  runWith(env: Record<string, string>, ...args: string[]): CliResult {
    return cli(args, { cwd: this.dir, env });
  }
  current(host: string): string | null {
    try {
      return readlinkSync(path.join(this.hostDir(host), "current")).replace(/^releases\//, "");
    } catch {
      return null;
    }
  }
  status(host: string, id: string): string {
    return readFileSync(path.join(this.hostDir(host), "releases", id, ".slipway", "status"), "utf8");
  }
  releases(host: string): string[] {
    const d = path.join(this.hostDir(host), "releases");
    return existsSync(d) ? execFileSync("ls", [d], { encoding: "utf8" }).split("\n").filter(Boolean) : [];
  }
  read(host: string, rel: string): string {
    return readFileSync(path.join(this.hostDir(host), rel), "utf8");
  }
  lockExists(host: string): boolean {
    return existsSync(path.join(this.hostDir(host), ".slipway", "lock"));
  }
  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Minimal two-host config; `extra` is YAML appended at top level. */
export function basicConfig(extra = "", hosts = ["h1", "h2"]): string {
  return `app: testapp
source:
  git: ./app
  ref: main
keep_releases: 3
${extra}
environments:
  prod:
    hosts:
${hosts.map((h) => `      - name: ${h}\n        transport: local\n        deploy_to: ./hosts/${h}`).join("\n")}
`;
}

/** Poll until `cond` holds (for files a running CLI creates), failing after `ms`. */
export async function waitFor(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Run a command in a pseudo-terminal (python3's pty module), typing each answer once its prompt
 * appears (`when: ""` types at once). Returns what the terminal showed and the exit code.
 */
export function runInPty(
  argv: string[],
  opts: { cwd: string; env?: Record<string, string>; answers: { when: string; send: string }[] },
): { output: string; status: number | null } {
  const py = `import json, os, pty, sys, time
answers = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
out = b""
end = time.time() + 60
while time.time() < end:
    while answers and answers[0]["when"].encode() in out:
        os.write(fd, answers.pop(0)["send"].encode())
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
sys.stdout.write(out.decode(errors="replace"))
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
`;
  const r = spawnSync("python3", ["-c", py, JSON.stringify(opts.answers), ...argv], {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    encoding: "utf8",
    timeout: 90_000,
  });
  return { output: r.stdout, status: r.status };
}

/**
 * Let the test worker's event loop run between synchronous CLI calls: a long test that never
 * yields starves vitest's RPC ("Timeout calling onTaskUpdate") when the machine is loaded.
 */
export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
