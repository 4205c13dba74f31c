/**
 * SSH backend on `ssh2` (in-process): one connection per host for the whole run, commands as
 * channels on it (~3 ms each on loopback with TCP_NODELAY, against ~12 ms through an OpenSSH
 * ControlMaster; see docs/benchmarks.md). Host keys are checked against known_hosts like OpenSSH.
 */
import { readFileSync, existsSync } from "node:fs";
import net from "node:net";
import { Readable, type Duplex } from "node:stream";
import ssh2, { type AnyAuthMethod, type ClientChannel, type ParsedKey, type Client as SshClient } from "ssh2";
import type { Host, SshSettings } from "../../config/resolve.js";
import { OperationError } from "../../errors.js";
import { scriptInput, type Executor, type RunOptions, type RunResult } from "../executor.js";
// ssh2 is CommonJS: take its members from the default export.
const { Client, utils } = ssh2;
type Client = SshClient;
import { preferredHostKeyAlgorithms, verifyHostKey } from "./known-hosts.js";
import { loadSshConfig, resolveTarget, type SshTarget } from "./target.js";

/** A failure to connect or authenticate, naming the host. */
export class SshConnectError extends OperationError {
  override name = "SshConnectError";
}

/** Identity files parsed once per process, not once per host and again at authentication (a fleet shares one key). */
const parsedKeys = new Map<string, ParsedKey | null>();

function identity(file: string): ParsedKey | null {
  const known = parsedKeys.get(file);
  if (known !== undefined) return known;
  const parsed = existsSync(file) ? utils.parseKey(readFileSync(file)) : null;
  // Encrypted without passphrase, or not a key: leave it to the agent.
  const key = parsed && !(parsed instanceof Error) ? (Array.isArray(parsed) ? (parsed[0] ?? null) : parsed) : null;
  parsedKeys.set(file, key);
  return key;
}

function authMethods(t: SshTarget): AnyAuthMethod[] {
  const methods: AnyAuthMethod[] = [];
  if (process.env.SSH_AUTH_SOCK) methods.push({ type: "agent", username: t.user, agent: process.env.SSH_AUTH_SOCK });
  for (const f of t.identityFiles) {
    const key = identity(f);
    if (key) methods.push({ type: "publickey", username: t.user, key });
  }
  methods.push({ type: "none", username: t.user });
  return methods;
}

function dial(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    sock.setNoDelay(true); // without it each small exec stalls ~40 ms on Nagle + delayed ACK
    const timer = setTimeout(() => (sock.destroy(), reject(new Error(`connection timed out after ${timeoutMs} ms`))), timeoutMs);
    sock.once("connect", () => (clearTimeout(timer), resolve(sock)));
    sock.once("error", (e) => (clearTimeout(timer), reject(e)));
  });
}

/** Open an authenticated client to `t` over `sock` (a TCP socket or a jump host's forwarded channel). */
function handshake(t: SshTarget, sock: Duplex, settings: SshSettings, label: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let keyProblem: string | null = null;
    let settled = false;
    client.once("ready", () => ((settled = true), resolve(client)));
    // `on`, not `once`: a hung handshake makes ssh2 emit error twice (timeout, then "connection
    // lost"), and an unheard second error would kill the process. Later errors are the drop handler's.
    client.on("error", (e) => {
      if (settled) return;
      settled = true;
      client.destroy();
      const why =
        keyProblem ??
        (/authentication methods failed/.test(e.message)
          ? `authentication failed for ${t.user}@${t.host}:${t.port} (tried ssh-agent and ${t.identityFiles.join(", ")})`
          : e.message);
      reject(new SshConnectError(keyProblem ? why : `${label}: cannot connect to ${t.user}@${t.host}:${t.port}: ${why}`));
    });
    client.connect({
      sock: sock as unknown as Readable,
      username: t.user,
      readyTimeout: settings.connectTimeoutMs,
      keepaliveInterval: settings.keepaliveMs,
      keepaliveCountMax: settings.keepaliveCount,
      authHandler: authMethods(t),
      // Ask for the key types already on file first, as OpenSSH does, so a host offering several is checked against the one we know.
      algorithms: { serverHostKey: preferredHostKeyAlgorithms(t.knownHosts, t.host, t.port) },
      hostVerifier: (key: Buffer) => {
        const v = verifyHostKey(t.knownHosts, t.host, t.port, key, settings.hostKeyChecking, label);
        if (!v.ok) keyProblem = v.message;
        return v.ok;
      },
    });
  });
}

async function openClient(t: SshTarget, settings: SshSettings, label: string, opened: Client[]): Promise<Client> {
  let sock: Duplex;
  const hops = [...t.jumps, { ...t, jumps: [] }];
  let via: Client | null = null;
  for (const hop of hops) {
    const hopLabel = hop === hops[hops.length - 1] ? label : `${label} (via jump host ${hop.alias})`;
    if (!via) {
      try {
        sock = await dial(hop.host, hop.port, settings.connectTimeoutMs);
      } catch (e) {
        throw new SshConnectError(`${hopLabel}: cannot connect to ${hop.user}@${hop.host}:${hop.port}: ${(e as Error).message}`);
      }
    } else {
      const from: Client = via;
      sock = await new Promise<Duplex>((resolve, reject) =>
        from.forwardOut("127.0.0.1", 0, hop.host, hop.port, (err, ch) =>
          err ? reject(new SshConnectError(`${hopLabel}: jump to ${hop.host}:${hop.port} failed: ${err.message}`)) : resolve(ch),
        ),
      );
    }
    via = await handshake(hop, sock, settings, hopLabel);
    opened.push(via);
  }
  return via!;
}

export class SshExecutor implements Executor {
  private clients: Client[] = [];
  private client: Client | null = null;
  private connecting: Promise<Client> | null = null;

  private constructor(
    readonly host: Host,
    private target: SshTarget,
    private settings: SshSettings,
  ) {}

  static async connect(host: Host, settings: SshSettings): Promise<SshExecutor> {
    const target = resolveTarget(host.address!, { user: host.user, port: host.port }, loadSshConfig(settings.configFile), settings);
    const ex = new SshExecutor(host, target, settings);
    await ex.ensure();
    return ex;
  }

  /** The open client, reconnecting once if the connection dropped since the last command. */
  private ensure(): Promise<Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const opened: Client[] = [];
      try {
        const c = await openClient(this.target, this.settings, this.host.name, opened);
        const drop = () => {
          if (this.client === c) this.client = null;
        };
        c.on("close", drop);
        c.on("error", drop);
        this.clients = opened;
        this.client = c;
        return c;
      } catch (e) {
        for (const c of opened) c.end();
        throw e;
      } finally {
        this.connecting = null;
      }
    })();
    return this.connecting;
  }

  script(text: string, opts: RunOptions = {}): Promise<RunResult> {
    // `exec` replaces the login shell: one process less per round trip, same pid (and process group).
    return this.run("exec bash -s", scriptInput(text, opts.stdin), opts);
  }

  exec(commandLine: string, opts: RunOptions = {}): Promise<RunResult> {
    return this.run(commandLine, opts.stdin, opts);
  }

  async close(): Promise<void> {
    for (const c of [...this.clients].reverse()) c.end();
    this.client = null;
  }

  /** After a timeout the connection is presumed dead: drop it without waiting for the host. */
  abandon(): void {
    const gone = this.clients;
    this.clients = [];
    this.client = null;
    for (const c of gone.reverse()) c.destroy();
  }

  private async run(command: string, stdin: RunOptions["stdin"], opts: RunOptions): Promise<RunResult> {
    const client = await this.ensure();
    return new Promise((resolve, reject) => {
      if (opts.signal?.aborted) return reject(opts.signal.reason ?? new Error("aborted"));
      // Print the remote shell's pid first so an abort can kill its whole process group
      // (sshd makes each session's shell a process-group leader).
      const wrapped = `printf '\\036P %s\\n' $$ >&2\n${command}`;
      client.exec(wrapped, (err, ch: ClientChannel) => {
        if (err) return reject(new SshConnectError(`${this.host.name}: ${err.message}`));
        let stdout = "";
        let stderr = "";
        let code: number | null = null;
        let signal: string | null = null;
        let remotePid: string | null = null;
        let sawPid = false;
        // A channel error (the connection died under it) ends this command, never the process.
        ch.on("error", (e: Error) => reject(new SshConnectError(`${this.host.name}: ${e.message}`)));
        ch.setEncoding("utf8");
        ch.on("data", (c: string) => {
          stdout += c;
          opts.onStdout?.(c);
        });
        ch.stderr.setEncoding("utf8");
        ch.stderr.on("data", (c: string) => {
          if (!sawPid) {
            const m = /^\x1eP (\d+)\n/.exec(c);
            if (m) {
              sawPid = true;
              remotePid = m[1]!;
              c = c.slice(m[0].length);
              if (!c) return;
            }
          }
          stderr += c;
          opts.onStderr?.(c);
        });
        ch.on("exit", (c: number | null, sig?: string) => {
          code = c;
          signal = sig ?? null;
        });
        const onAbort = () => {
          if (remotePid) client.exec(`kill -TERM -- -${remotePid} 2>/dev/null || kill -TERM ${remotePid}`, (e, k) => (e ? undefined : k.resume()));
          ch.close();
        };
        opts.signal?.addEventListener("abort", onAbort, { once: true });
        ch.on("close", () => {
          opts.signal?.removeEventListener("abort", onAbort);
          if (code === null && signal === null && !opts.signal?.aborted && !this.client) {
            return reject(new SshConnectError(`${this.host.name}: connection lost while running a command`));
          }
          resolve({ code, signal, stdout, stderr });
        });
        if (stdin instanceof Readable) feed(ch, stdin).catch((e: Error) => reject(new OperationError(`${this.host.name}: upload failed: ${e.message}`)));
        else ch.end(stdin ?? "");
      });
    });
  }
}

/**
 * Write a stream into the channel chunk by chunk, waiting for the channel's window to drain, so a
 * 1 GB upload holds only a few chunks in memory. (Not .pipe(): the channel must not be ended when
 * the source fails; the remote side then sees a short stream and the error reaches the caller.)
 */
async function feed(ch: ClientChannel, r: Readable): Promise<void> {
  try {
    for await (const chunk of r) {
      // The remote command exited without reading it all (it failed): stop the source, the result says why.
      if (ch.destroyed || !ch.writable) {
        r.destroy();
        return;
      }
      if (!ch.write(chunk))
        await new Promise<void>((resolve) => {
          const go = () => (ch.off("close", go), ch.off("drain", go), resolve());
          ch.once("drain", go).once("close", go);
        });
    }
    ch.end();
  } catch (e) {
    ch.close();
    throw e;
  }
}
