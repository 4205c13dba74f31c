/** Normalize a parsed config + environment name into typed, frozen objects the engine uses. */
import path from "node:path";
import { UsageError } from "../errors.js";
import type { LoadedConfig } from "./load.js";
import { type AnnounceSettings, resolveAnnounce } from "./resolve-announce.js";
import { mapHooks, overlayComponent, toCommands } from "./resolve-components.js";
import { type Database, resolveDatabases } from "./resolve-databases.js";
import { type Gates, resolveGates } from "./resolve-gates.js";
import { resolveStagingBranch } from "./resolve-promote.js";
import { resolveHosts, resolveSource } from "./resolve-hosts.js";
import { resolveSecrets } from "./resolve-secrets.js";
import { resolveServices } from "./resolve-services.js";
import { resolveSsh, resolveTimeouts } from "./resolve-ssh.js";
import { resolveWindows, type Windows } from "./resolve-windows.js";
import { resolveVerifyWindow, type VerifyWindow } from "./resolve-verify.js";
import type { RawConfig, TIMEOUT_DEFAULTS } from "./schema/index.js";

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
  | { type: "git"; repo: string; ref: string; distribute: "git" | "artifact" | "push"; artifactBuild: string[]; artifactPath: string }
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
  /** command backend: log file relative to deploy_to (`logs`). */
  log?: string;
  processes?: string;
  health?: { http?: string; expect: number; tcp?: string; timeout: number };
  gracefulReload: boolean;
  /** Blue/green slots behind nginx (absent: restarted in place). */
  cutover?: Cutover;
}

/** A service's slots and the nginx upstream file they are switched in. */
export interface Cutover {
  ports: number[];
  /** Relative to deploy_to. */
  upstreamFile: string;
  upstreamName: string;
  host: string;
  drainSeconds: number;
  keepPrevious: boolean;
  nginx: { test: string; reload: string; pidFile: string; sudo: boolean };
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

/** `aliases:` entry: a named command run in the current release (`slipway <env> <name> [args...]`). */
export interface Alias {
  name: string;
  command: string;
  /** Runs on this role's primary (none: the environment's primary). */
  role?: string;
  interactive: boolean;
  description?: string;
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
  /** `verify.window` and its checks (null: no verify window). */
  verifyWindow: VerifyWindow | null;
  hooks: { before: Record<string, Command[]>; after: Record<string, Command[]>; onFailure: Command[] };
  env: Record<string, string>;
  ssh: SshSettings;
  timeouts: Timeouts;
  notify: NotifySettings;
  presteps: Prestep[];
  aliases: Alias[];
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
  /** `databases:` of this environment (their hosts come from the app's hosts, whatever the component). */
  databases: Database[];
  /** `windows:` of this environment (deploy windows and freezes), if any. */
  windows?: Windows;
  /** `announce:`: timezone and notice period of downtime announcements. */
  announce: AnnounceSettings;
  /** `gates:` of this environment (checked by apply/preflight/*). */
  gates: Gates;
  /** `staging_branch`: the branch `cut` moves (null when not configured). */
  stagingBranch: string | null;
}

export type { Database } from "./resolve-databases.js";

/** Environment names in the order written. */
export function environmentNames(cfg: RawConfig): string[] {
  return Object.keys(cfg.environments);
}

/** Component names in the order written (the order of `deploy --all`). */
export function componentNames(cfg: RawConfig): string[] {
  return Object.keys(cfg.components);
}

/** Resolve one environment. `readEnv` supplies secrets (process.env by default). */
export function resolveEnvironment(
  loaded: LoadedConfig,
  envName: string,
  readEnv: (k: string) => string | undefined = (k) => process.env[k],
  component: string | null = null,
): Environment {
  const raw = loaded.raw;
  const env = raw.environments[envName];
  if (!env) {
    throw new UsageError(`unknown environment "${envName}" in ${loaded.file}; expected one of: ${environmentNames(raw).join(", ")}`);
  }
  const comp = component === null ? null : raw.components[component];
  if (component !== null && !comp) {
    throw new UsageError(`unknown component "${component}"; expected one of: ${componentNames(raw).join(", ") || "(none configured)"}`);
  }
  const cfg = overlayComponent(raw, comp);
  const hosts = resolveHosts(cfg, env, comp, component, loaded.dir);
  if (!hosts.length) throw new UsageError(`component "${component}" has no hosts in ${envName}`);
  const primary = hosts.find((h) => h.primary) ?? hosts[0]!;
  const source = resolveSource(cfg, env, loaded.dir);
  const ssh = resolveSsh(cfg, env, loaded.dir);
  const timeouts = resolveTimeouts(cfg, env);
  const { secrets, redact, notify } = resolveSecrets(loaded, cfg, env, readEnv);
  const databases = resolveDatabases(env, envName, component === null ? hosts : resolveHosts(cfg, env, null, null, loaded.dir), secrets, loaded.dir);
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
    verify: toCommands(cfg.verify.commands),
    verifyWindow: resolveVerifyWindow(cfg.verify, component === null ? "verify" : `components.${component}.verify`),
    hooks: { before: mapHooks(cfg.hooks.before), after: mapHooks(cfg.hooks.after), onFailure: toCommands(cfg.hooks.on_failure) },
    env: { ...cfg.env, ...(env.env ?? {}) },
    ssh,
    timeouts,
    notify,
    services: resolveServices(raw, component),
    supervisor: { config: raw.supervisor.config, includeDir: raw.supervisor.include_dir },
    afterReboot: toCommands(raw.after_reboot),
    onUnhealthy: raw.rollout.on_unhealthy,
    configFiles: raw.config_files.map((f) => ({ ...f, template: path.resolve(loaded.dir, f.template) })),
    vars: { ...raw.vars, ...(env.vars ?? {}) },
    maintenance: { roles: raw.maintenance.roles, dir: raw.maintenance.dir, stopTimeout: raw.maintenance.stop_timeout },
    // Pre-steps belong to the app's own release track.
    presteps: comp ? [] : Object.entries(raw.presteps).map(([n, ps]) => ({ name: n, run: ps.run, role: ps.role, required: ps.required })),
    aliases: Object.entries(raw.aliases).map(([n, a]) =>
      typeof a === "string"
        ? { name: n, command: a, interactive: false }
        : { name: n, command: a.command, role: a.role, interactive: a.interactive, description: a.description },
    ),
    redact,
    dependencies: cfg.dependencies.map((d) => ({ ...d })),
    partialRoles: Object.entries(cfg.roles)
      .filter(([, r]) => r.allow_partial)
      .map(([n]) => n),
    secrets,
    databases,
    windows: resolveWindows(env, envName),
    announce: resolveAnnounce(env),
    gates: resolveGates(env, envName, secrets),
    stagingBranch: resolveStagingBranch(env),
  });
}
