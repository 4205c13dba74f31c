/** Normalize a parsed config + environment name into typed, frozen objects the engine uses. */
import os from "node:os";
import path from "node:path";
import { UsageError } from "../errors.js";
import { loadSecretsFile, readKey } from "./secrets.js";
import { appliesTo } from "./roles.js";
import type { LoadedConfig } from "./load.js";
import { TIMEOUT_DEFAULTS, type CommandSpec, type RawConfig } from "./schema/index.js";

export interface Host {
  name: string;
  transport: "local" | "ssh";
  address?: string;
  user?: string;
  port?: number;
  roles: string[];
  primary: boolean;
  deployTo: string;
  /** Per-host environment variables. */
  env?: Record<string, string>;
}

export interface Command {
  run: string;
  local: boolean;
  roles?: string[];
}

export type Source =
  | { type: "git"; repo: string; ref: string; distribute: "git" | "artifact"; artifactBuild: string[]; artifactPath: string }
  | { type: "dir"; path: string };

export interface SshSettings {
  configFile: string;
  knownHosts?: string;
  hostKeyChecking: "strict" | "accept-new";
  identityFile?: string;
  connectTimeoutMs: number;
  /** Liveness probes: a host that misses `keepaliveCount` of them is lost. 0 turns them off. */
  keepaliveMs: number;
  keepaliveCount: number;
}

/** Per-phase limits in milliseconds (config `timeouts`, in seconds). */
export type Timeouts = Record<keyof typeof TIMEOUT_DEFAULTS, number>;

export interface NotifySettings {
  webhooks: { url: string; events?: string[] }[];
  email?: { host: string; port: number; secure: boolean; user?: string; password?: string; from: string; to: string[]; events?: string[] };
}

export interface Service {
  name: string;
  backend: "supervisord" | "systemd" | "command";
  roles?: string[];
  component: string | null;
  order: number;
  command?: string;
  program: string;
  start?: string;
  stop?: string;
  reload?: string;
  status?: string;
  pidFile?: string;
  processes?: string;
  health?: { http?: string; expect: number; tcp?: string; timeout: number };
  gracefulReload: boolean;
}

export interface ConfigFile {
  template: string;
  dest: string;
  roles?: string[];
  mode?: string;
}

export interface Prestep {
  name: string;
  run: string;
  role?: string;
  required: boolean;
}

export interface Dependency {
  path: string;
  lockfile: string;
  install: string;
  roles?: string[];
}

export interface Environment {
  app: string;
  name: string;
  /** null for the app itself; else the component's name. */
  component: string | null;
  configFile: string;
  configDir: string;
  source: Source;
  keepReleases: number;
  hosts: Host[];
  primary: Host;
  shared: { dirs: string[]; files: string[] };
  build: Command[];
  migrate: Command[];
  restart: Command[];
  verify: Command[];
  hooks: { before: Record<string, Command[]>; after: Record<string, Command[]>; onFailure: Command[] };
  env: Record<string, string>;
  ssh: SshSettings;
  timeouts: Timeouts;
  notify: NotifySettings;
  presteps: Prestep[];
  /** Services of this environment's component (sorted by start order). */
  services: Service[];
  supervisor: { config: string; includeDir: string };
  maintenance: { roles?: string[]; dir: string; stopTimeout: number };
  afterReboot: Command[];
  onUnhealthy: "batch" | "all";
  configFiles: ConfigFile[];
  vars: Record<string, string>;
  dependencies: Dependency[];
  /** Roles whose hosts may fail without stopping the others. */
  partialRoles: string[];
  /** Other secret values (notification credentials): redacted, never sent to hosts. */
  redact: string[];
  /** Secret values by name; never printed (the event bus redacts them). */
  secrets: Record<string, string>;
}

const toCommand = (c: CommandSpec): Command => (typeof c === "string" ? { run: c, local: false } : { run: c.run, local: c.local, roles: c.roles });
const toCommands = (cs: CommandSpec[] | undefined): Command[] => (cs ?? []).map(toCommand);
const mapHooks = (h: Record<string, CommandSpec[] | undefined> | undefined) =>
  Object.fromEntries(Object.entries(h ?? {}).map(([k, v]) => [k, toCommands(v)]));

/** A git "repo" that is a plain path is resolved against the config directory. */
function resolveRepo(repo: string, dir: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || /^[^/]+@[^/]+:/.test(repo)) return repo;
  return path.resolve(dir, repo.replace(/^~(?=\/|$)/, os.homedir()));
}

function resolveLocalPath(p: string, dir: string): string {
  return path.resolve(dir, p.replace(/^~(?=\/|$)/, os.homedir()));
}

export function environmentNames(cfg: RawConfig): string[] {
  return Object.keys(cfg.environments);
}

export function componentNames(cfg: RawConfig): string[] {
  return Object.keys(cfg.components);
}

/** Resolve one environment. `readEnv` supplies secrets (process.env by default). */
export function resolveEnvironment(loaded: LoadedConfig, envName: string, readEnv: (k: string) => string | undefined = (k) => process.env[k], component: string | null = null): Environment {
  const raw = loaded.raw;
  const env = raw.environments[envName];
  if (!env) {
    throw new UsageError(`unknown environment "${envName}" in ${loaded.file}; expected one of: ${environmentNames(raw).join(", ")}`);
  }
  const comp = component === null ? null : raw.components[component];
  if (component !== null && !comp) {
    throw new UsageError(`unknown component "${component}"; expected one of: ${componentNames(raw).join(", ") || "(none configured)"}`);
  }
  // A component is the app's config with its own keys laid over it.
  const cfg: RawConfig = comp
    ? {
        ...raw,
        source: comp.source ?? raw.source,
        keep_releases: comp.keep_releases ?? raw.keep_releases,
        shared: comp.shared ?? { dirs: [], files: [] },
        dependencies: comp.dependencies ?? [],
        build: comp.build ?? [],
        migrate: comp.migrate ?? [],
        restart: comp.restart ?? [],
        verify: comp.verify ?? [],
        hooks: comp.hooks ?? {},
        env: { ...raw.env, ...(comp.env ?? {}) },
      }
    : raw;
  const baseDeployTo = env.deploy_to ?? cfg.deploy_to ?? `~/apps/${cfg.app}`;
  const hostSpecs = env.hosts.filter((h) => appliesTo(comp?.roles, h));
  const hosts: Host[] = hostSpecs.map((h) => {
    const transport = h.transport ?? (h.address ? "ssh" : "local");
    const appDir = h.deploy_to ?? baseDeployTo;
    const dir = comp ? (comp.deploy_to ?? `${appDir.replace(/\/+$/, "")}-${component}`) : appDir;
    const deployTo = transport === "local" ? resolveLocalPath(dir, loaded.dir) : dir;
    return Object.freeze({ name: h.name, transport, address: h.address, user: h.user, port: h.port, roles: [...h.roles], primary: h.primary, deployTo, env: h.env ? { ...h.env } : undefined });
  });
  if (!hosts.length) throw new UsageError(`component "${component}" has no hosts in ${envName}`);
  const primary = hosts.find((h) => h.primary) ?? hosts[0]!;
  const source: Source =
    "git" in cfg.source
      ? {
          type: "git",
          repo: resolveRepo(cfg.source.git, loaded.dir),
          ref: env.ref ?? cfg.source.ref,
          distribute: cfg.source.distribute,
          artifactBuild: [...cfg.source.artifact_build],
          artifactPath: cfg.source.artifact_path,
        }
      : { type: "dir", path: resolveLocalPath(cfg.source.dir, loaded.dir) };
  const sshRaw = { ...cfg.ssh, ...(env.ssh ?? {}) };
  const ssh: SshSettings = {
    configFile: resolveLocalPath(sshRaw.config_file ?? "~/.ssh/config", loaded.dir),
    knownHosts: sshRaw.known_hosts ? resolveLocalPath(sshRaw.known_hosts, loaded.dir) : undefined,
    hostKeyChecking: sshRaw.host_key_checking ?? "strict",
    identityFile: sshRaw.identity_file ? resolveLocalPath(sshRaw.identity_file, loaded.dir) : undefined,
    connectTimeoutMs: (sshRaw.connect_timeout ?? 10) * 1000,
    keepaliveMs: (sshRaw.keepalive ?? 3) * 1000,
    keepaliveCount: sshRaw.keepalive_count ?? 3,
  };
  const timeoutSeconds = { ...TIMEOUT_DEFAULTS, ...cfg.timeouts, ...(env.timeouts ?? {}) };
  const timeouts = Object.fromEntries(Object.entries(timeoutSeconds).map(([k, v]) => [k, v * 1000])) as Timeouts;
  const secretNames = [...new Set([...cfg.secret_env, ...(env.secret_env ?? [])])];
  const secrets: Record<string, string> = {};
  const missing: string[] = [];
  for (const n of secretNames) {
    const v = readEnv(n);
    if (v === undefined) missing.push(n);
    else secrets[n] = v;
  }
  const redact: string[] = [];
  const secretsFile = env.secrets_file ?? raw.secrets_file;
  if (secretsFile) {
    // Encrypted secrets behave like secret_env: exported to commands, usable in templates, redacted.
    const fromFile = loadSecretsFile(path.resolve(loaded.dir, secretsFile), readKey(raw.secrets_key_file, loaded.dir, readEnv));
    for (const [k, v] of Object.entries(fromFile)) if (!(k in secrets)) secrets[k] = v;
  }
  const notifyRaw = env.notify ?? cfg.notify;
  const fromEnv = (name: string, what: string) => {
    const v = readEnv(name);
    if (v === undefined) missing.push(`${name} (${what})`);
    else redact.push(v); // redacted like every secret, but not exported to commands
    return v ?? "";
  };
  const notify: NotifySettings = {
    webhooks: notifyRaw.webhooks.map((w) => ({ url: w.url_env ? fromEnv(w.url_env, "notify webhook url_env") : (w.url ?? ""), events: w.events })),
    email: notifyRaw.email && {
      ...notifyRaw.email.smtp,
      password: notifyRaw.email.smtp.password_env ? fromEnv(notifyRaw.email.smtp.password_env, "notify smtp password_env") : undefined,
      from: notifyRaw.email.from,
      to: notifyRaw.email.to,
      events: notifyRaw.email.events,
    },
  };
  if (missing.length) throw new UsageError(`secret_env: ${missing.join(", ")} not set in the environment of this control machine`);
  return Object.freeze({
    app: cfg.app,
    name: envName,
    component,
    configFile: loaded.file,
    configDir: loaded.dir,
    source,
    keepReleases: env.keep_releases ?? cfg.keep_releases,
    hosts,
    primary,
    shared: { dirs: [...cfg.shared.dirs], files: [...cfg.shared.files] },
    build: toCommands(cfg.build),
    migrate: toCommands(cfg.migrate),
    restart: toCommands(cfg.restart),
    verify: toCommands(cfg.verify),
    hooks: { before: mapHooks(cfg.hooks.before), after: mapHooks(cfg.hooks.after), onFailure: toCommands(cfg.hooks.on_failure) },
    env: { ...cfg.env, ...(env.env ?? {}) },
    ssh,
    timeouts,
    notify,
    // Pre-steps belong to the app's own release track.
    services: Object.entries(raw.services)
      .filter(([, sv]) => (sv.component ?? null) === component)
      .map(([n, sv]) => ({
        name: n,
        backend: sv.backend,
        roles: sv.roles,
        component: sv.component ?? null,
        order: sv.order,
        command: sv.command,
        program: sv.program ?? `${raw.app}-${n}`,
        start: sv.start,
        stop: sv.stop,
        reload: sv.reload,
        status: sv.status,
        pidFile: sv.pid_file,
        processes: sv.processes,
        health: sv.health,
        gracefulReload: sv.graceful_reload,
      }))
      .sort((a, b) => a.order - b.order),
    supervisor: { config: raw.supervisor.config, includeDir: raw.supervisor.include_dir },
    afterReboot: toCommands(raw.after_reboot),
    onUnhealthy: raw.rollout.on_unhealthy,
    configFiles: raw.config_files.map((f) => ({ ...f, template: path.resolve(loaded.dir, f.template) })),
    vars: { ...raw.vars, ...(env.vars ?? {}) },
    maintenance: { roles: raw.maintenance.roles, dir: raw.maintenance.dir, stopTimeout: raw.maintenance.stop_timeout },
    presteps: comp ? [] : Object.entries(raw.presteps).map(([n, ps]) => ({ name: n, run: ps.run, role: ps.role, required: ps.required })),
    redact,
    dependencies: cfg.dependencies.map((d) => ({ ...d })),
    partialRoles: Object.entries(cfg.roles).filter(([, r]) => r.allow_partial).map(([n]) => n),
    secrets,
  });
}
