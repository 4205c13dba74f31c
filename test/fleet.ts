/**
 * A fleet of real OpenSSH servers on loopback, one per simulated host. As root each host gets its
 * own user and home (closest to real machines); otherwise every host is this user on its own port.
 * Also a git daemon serving test repositories, a client key, known_hosts and ~/.ssh/config.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export const IS_ROOT = process.getuid?.() === 0;
export const HAVE_SSHD =
  existsSync("/usr/sbin/sshd") &&
  existsSync("/usr/sbin/nginx") &&
  spawnSync("bash", ["-c", "command -v ssh-keygen && command -v git && command -v supervisord && command -v curl"], { stdio: "ignore" }).status === 0;
/** On CI a missing sshd is a failure, never a silent skip. */
export const SKIP_FLEET = !HAVE_SSHD && process.env.CI !== "true";
if (SKIP_FLEET) console.warn("SKIPPING ssh fleet tests: needs openssh-server, supervisor, nginx, curl (apt-get install ...); CI=true makes this a failure");

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

export interface FleetHost {
  name: string;
  user: string;
  port: number;
  home: string;
  dir: string;
  pidFile: string;
  hostKeyPub: string;
}

const sh = (cmd: string) => execFileSync("bash", ["-c", cmd], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

export class Fleet {
  readonly hosts: FleetHost[] = [];
  readonly clientHome: string;
  readonly gitBase: string;
  gitPort = 0;
  private gitPid = "";

  private constructor(readonly root: string) {
    this.clientHome = path.join(root, "client");
    this.gitBase = path.join(root, "git");
  }

  static async start(names: string[]): Promise<Fleet> {
    if (!HAVE_SSHD) throw new Error("sshd is required for fleet tests (apt-get install openssh-server openssh-client)");
    const root = mkdtempSync(path.join(os.tmpdir(), "slipway-fleet-"));
    chmodSync(root, 0o755);
    const f = new Fleet(root);
    mkdirSync(path.join(f.clientHome, ".ssh"), { recursive: true, mode: 0o700 });
    mkdirSync(f.gitBase, { recursive: true });
    sh(`ssh-keygen -q -t ed25519 -N '' -f ${path.join(f.clientHome, ".ssh", "id_ed25519")}`);
    if (IS_ROOT) mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
    const tag = Math.random().toString(36).slice(2, 6);
    for (const [i, name] of names.entries()) f.hosts.push(await f.startHost(name, IS_ROOT ? `sw${tag}${i}` : os.userInfo().username));
    f.writeClientConfig();
    await f.startGitDaemon();
    return f;
  }

  private async startHost(name: string, user: string): Promise<FleetHost> {
    const dir = path.join(this.root, "hosts", name);
    const home = IS_ROOT ? path.join(dir, "home") : path.join(dir, "home");
    mkdirSync(path.join(home, ".ssh"), { recursive: true });
    const port = await freePort();
    sh(`ssh-keygen -q -t ed25519 -N '' -f ${dir}/hostkey`);
    const pub = readFileSync(path.join(this.clientHome, ".ssh", "id_ed25519.pub"), "utf8");
    const authKeys = IS_ROOT ? path.join(home, ".ssh", "authorized_keys") : path.join(dir, "authkeys");
    writeFileSync(authKeys, pub, { mode: 0o600 });
    if (IS_ROOT) {
      spawnSync("userdel", ["-f", user], { stdio: "ignore" });
      sh(`useradd -M -d ${home} -s /bin/bash ${user} && usermod -p '*' ${user}`);
      sh(`chown -R ${user}: ${home} && chmod 755 ${home} && chmod 700 ${home}/.ssh`);
    }
    const pidFile = path.join(dir, "sshd.pid");
    const conf = [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${dir}/hostkey`,
      `PidFile ${pidFile}`,
      "UsePAM no",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "AuthenticationMethods publickey",
      IS_ROOT ? `AllowUsers ${user}` : `AuthorizedKeysFile ${authKeys}`,
      IS_ROOT ? "StrictModes yes" : "StrictModes no",
      "UseDNS no",
      "LogLevel DEBUG1",
      "MaxSessions 64",
      "MaxStartups 200:30:300",
      "AllowTcpForwarding yes",
      "Subsystem sftp internal-sftp",
    ];
    writeFileSync(path.join(dir, "sshd_config"), conf.join("\n") + "\n");
    sh(`/usr/sbin/sshd -f ${dir}/sshd_config -E ${dir}/sshd.log`);
    const h: FleetHost = { name, user, port, home, dir, pidFile, hostKeyPub: readFileSync(`${dir}/hostkey.pub`, "utf8").trim() };
    await waitForPort(port);
    return h;
  }

  /** ~/.ssh/config with an alias per host, and known_hosts with every host key. */
  writeClientConfig(extra = ""): void {
    const cfg = this.hosts.map((h) => `Host ${h.name}\n  HostName 127.0.0.1\n  Port ${h.port}\n  User ${h.user}\n`).join("\n");
    writeFileSync(path.join(this.clientHome, ".ssh", "config"), cfg + "\n" + extra);
    writeFileSync(path.join(this.clientHome, ".ssh", "known_hosts"), this.hosts.map((h) => this.knownHostsLine(h)).join(""));
  }

  knownHostsLine(h: FleetHost): string {
    const [type, key] = h.hostKeyPub.split(" ");
    return `[127.0.0.1]:${h.port} ${type} ${key}\n`;
  }

  /** Environment for a CLI run that uses this fleet's client home as ~. */
  get env(): Record<string, string> {
    return { HOME: this.clientHome, SSH_AUTH_SOCK: "" };
  }

  private async startGitDaemon(): Promise<void> {
    this.gitPort = await freePort();
    const pid = path.join(this.root, "git-daemon.pid");
    sh(
      `git daemon --reuseaddr --listen=127.0.0.1 --port=${this.gitPort} --base-path=${this.gitBase} --export-all --max-connections=0 --detach --pid-file=${pid}`,
    );
    this.gitPid = pid;
    await waitForPort(this.gitPort);
  }

  /** git:// URL for a repository created under the daemon's base path. */
  gitUrl(name: string): string {
    return `git://127.0.0.1:${this.gitPort}/${name}`;
  }

  host(name: string): FleetHost {
    const h = this.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`no host ${name}`);
    return h;
  }

  /** Kill a host's sshd and every session process it started. */
  killHost(name: string): void {
    const h = this.host(name);
    spawnSync("bash", ["-c", `kill $(cat ${h.pidFile}) 2>/dev/null; ${IS_ROOT ? `pkill -KILL -u ${h.user}` : "true"}`], { stdio: "ignore" });
  }

  /** Run a shell command as the host's user (as root: via su; otherwise directly). */
  asUser(name: string, command: string): string {
    const h = this.host(name);
    const full = `export HOME=${h.home}; cd ${h.home} && ${command}`;
    return IS_ROOT
      ? execFileSync("su", ["-s", "/bin/bash", h.user, "-c", full], { encoding: "utf8" })
      : execFileSync("bash", ["-c", full], { encoding: "utf8" });
  }

  /** supervisord running as the host's user, everything under ~/supervisor (include conf.d/*.conf). */
  startSupervisord(name: string): void {
    const conf = [
      "[unix_http_server]",
      "file=%(here)s/supervisor.sock",
      "[supervisord]",
      "logfile=%(here)s/supervisord.log",
      "pidfile=%(here)s/supervisord.pid",
      "[rpcinterface:supervisor]",
      "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
      "[supervisorctl]",
      "serverurl=unix://%(here)s/supervisor.sock",
      "[include]",
      "files = conf.d/*.conf",
      "",
    ].join("\n");
    this.asUser(name, `mkdir -p supervisor/conf.d && printf '%s' '${conf}' > supervisor/supervisord.conf && supervisord -c supervisor/supervisord.conf`);
  }

  /** Start a killed host's sshd again (same port and host key). */
  async restartHost(name: string): Promise<void> {
    const h = this.host(name);
    sh(`/usr/sbin/sshd -f ${h.dir}/sshd_config -E ${h.dir}/sshd.log`);
    await waitForPort(h.port);
  }

  stop(): void {
    for (const h of this.hosts) {
      spawnSync(
        "bash",
        [
          "-c",
          `kill $(cat ${h.home}/supervisor/supervisord.pid 2>/dev/null) 2>/dev/null; kill $(cat ${h.pidFile} 2>/dev/null) 2>/dev/null; ${IS_ROOT ? `pkill -KILL -u ${h.user}; userdel -f ${h.user} || { sleep 0.2; pkill -KILL -u ${h.user}; userdel -f ${h.user}; }` : "true"}`,
        ],
        { stdio: "ignore" },
      );
    }
    if (this.gitPid) spawnSync("bash", ["-c", `kill $(cat ${this.gitPid}) 2>/dev/null`], { stdio: "ignore" });
    rmSync(this.root, { recursive: true, force: true });
  }
}

async function waitForPort(port: number, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      s.once("connect", () => (s.destroy(), resolve(true)));
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`port ${port} did not open`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
