/**
 * Where and how to connect, resolved the way OpenSSH would: the host's `address` may be an alias
 * in ~/.ssh/config (HostName, User, Port, IdentityFile, ProxyJump, UserKnownHostsFile).
 * Values set in slipway.yml (user, port) win, as `ssh -l/-p` win over the config file.
 */
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import SSHConfig from "ssh-config";
import type { SshSettings } from "../../config/resolve.js";

export interface SshTarget {
  /** What we call it in messages: the alias as written. */
  alias: string;
  host: string;
  port: number;
  user: string;
  identityFiles: string[];
  /** Hosts to jump through, outermost first. */
  jumps: SshTarget[];
  knownHosts: string;
}

const expandHome = (p: string) => (p.startsWith("~/") ? path.join(os.homedir(), p.slice(2)) : p);

function localUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? "root";
  }
}

const DEFAULT_KEYS = ["id_ed25519", "id_ecdsa", "id_rsa"];

type Computed = Record<string, string | string[] | undefined>;

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** `[user@]host[:port]` as written in ProxyJump. */
function parseJumpSpec(spec: string): { user?: string; host: string; port?: number } {
  let rest = spec.trim();
  let user: string | undefined;
  const at = rest.lastIndexOf("@");
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
  }
  const m = /^\[(.+)\]:(\d+)$/.exec(rest) ?? /^([^:]+):(\d+)$/.exec(rest);
  return m ? { user, host: m[1]!, port: Number(m[2]) } : { user, host: rest };
}

export function loadSshConfig(file: string): string {
  return existsSync(file) ? readFileSync(file, "utf8") : "";
}

export function resolveTarget(alias: string, over: { user?: string; port?: number }, configText: string, settings: SshSettings, depth = 0): SshTarget {
  if (depth > 8) throw new Error(`ProxyJump chain too deep at ${alias}`);
  const cfg = SSHConfig.parse(configText);
  const c = cfg.compute(alias) as Computed;
  const ids = [...(Array.isArray(c.IdentityFile) ? c.IdentityFile : c.IdentityFile ? [c.IdentityFile] : [])].map(expandHome);
  if (settings.identityFile) ids.push(settings.identityFile);
  if (!ids.length) ids.push(...DEFAULT_KEYS.map((k) => path.join(os.homedir(), ".ssh", k)));
  const knownHosts = settings.knownHosts ?? expandHome(first(c.UserKnownHostsFile)?.split(/\s+/)[0] ?? "~/.ssh/known_hosts");
  const jumpSpec = first(c.ProxyJump);
  const jumps: SshTarget[] = [];
  if (jumpSpec && jumpSpec !== "none") {
    for (const spec of jumpSpec.split(",")) {
      const j = parseJumpSpec(spec);
      const jt = resolveTarget(j.host, { user: j.user, port: j.port }, configText, settings, depth + 1);
      // A jump host's own jumps come first (OpenSSH semantics for nested ProxyJump).
      jumps.push(...jt.jumps, { ...jt, jumps: [] });
    }
  }
  return {
    alias,
    host: first(c.HostName) ?? alias,
    port: over.port ?? (first(c.Port) ? Number(first(c.Port)) : 22),
    user: over.user ?? first(c.User) ?? localUser(),
    identityFiles: ids,
    jumps,
    knownHosts,
  };
}
