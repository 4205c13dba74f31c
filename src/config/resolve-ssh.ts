/** Connection settings and per-phase time limits: environment keys over top-level ones, defaults filled in. */
import { resolveLocalPath, type EnvironmentSpec } from "./resolve-hosts.js";
import type { SshSettings, Timeouts } from "./resolve.js";
import { TIMEOUT_DEFAULTS, type RawConfig } from "./schema/index.js";

/** `ssh` with control-machine paths made absolute and seconds turned into milliseconds. */
export function resolveSsh(cfg: RawConfig, env: EnvironmentSpec, configDir: string): SshSettings {
  const sshRaw = { ...cfg.ssh, ...(env.ssh ?? {}) };
  return {
    configFile: resolveLocalPath(sshRaw.config_file ?? "~/.ssh/config", configDir),
    knownHosts: sshRaw.known_hosts ? resolveLocalPath(sshRaw.known_hosts, configDir) : undefined,
    hostKeyChecking: sshRaw.host_key_checking ?? "strict",
    identityFile: sshRaw.identity_file ? resolveLocalPath(sshRaw.identity_file, configDir) : undefined,
    connectTimeoutMs: (sshRaw.connect_timeout ?? 10) * 1000,
    keepaliveMs: (sshRaw.keepalive ?? 3) * 1000,
    keepaliveCount: sshRaw.keepalive_count ?? 3,
  };
}

/** `timeouts` key by key (defaults < top level < environment), in milliseconds. */
export function resolveTimeouts(cfg: RawConfig, env: EnvironmentSpec): Timeouts {
  const timeoutSeconds = { ...TIMEOUT_DEFAULTS, ...cfg.timeouts, ...(env.timeouts ?? {}) };
  return Object.fromEntries(Object.entries(timeoutSeconds).map(([k, v]) => [k, v * 1000])) as Timeouts;
}
