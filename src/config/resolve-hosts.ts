/** Where code comes from and goes to: hosts with their deploy directories, and the source. */
import os from "node:os";
import path from "node:path";
import { appliesTo } from "./roles.js";
import type { ComponentSpec } from "./resolve-components.js";
import type { Host, Source } from "./resolve.js";
import type { RawConfig } from "./schema/index.js";

/** One entry of `environments`. */
export type EnvironmentSpec = RawConfig["environments"][string];

/** A git "repo" that is a plain path is resolved against the config directory. */
function resolveRepo(repo: string, dir: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || /^[^/]+@[^/]+:/.test(repo)) return repo;
  return path.resolve(dir, repo.replace(/^~(?=\/|$)/, os.homedir()));
}

/** A control-machine path: `~` is the home directory, relative paths are against `dir`. */
export function resolveLocalPath(p: string, dir: string): string {
  return path.resolve(dir, p.replace(/^~(?=\/|$)/, os.homedir()));
}

/** The environment's hosts that `comp` deploys to (all of them for the app), frozen. */
export function resolveHosts(
  cfg: RawConfig,
  env: EnvironmentSpec,
  comp: ComponentSpec | null | undefined,
  component: string | null,
  configDir: string,
): Host[] {
  const baseDeployTo = env.deploy_to ?? cfg.deploy_to ?? `~/apps/${cfg.app}`;
  const hostSpecs = env.hosts.filter((h) => appliesTo(comp?.roles, h));
  return hostSpecs.map((h) => {
    const transport = h.transport ?? (h.address ? "ssh" : "local");
    const appDir = h.deploy_to ?? baseDeployTo;
    const dir = comp ? (comp.deploy_to ?? `${appDir.replace(/\/+$/, "")}-${component}`) : appDir;
    const deployTo = transport === "local" ? resolveLocalPath(dir, configDir) : dir;
    return Object.freeze({
      name: h.name,
      transport,
      address: h.address,
      user: h.user,
      port: h.port,
      roles: [...h.roles],
      primary: h.primary,
      deployTo,
      env: h.env ? { ...h.env } : undefined,
    });
  });
}

/** The source, with local paths made absolute and the environment's `ref` applied. */
export function resolveSource(cfg: RawConfig, env: EnvironmentSpec, configDir: string): Source {
  return "git" in cfg.source
    ? {
        type: "git",
        repo: resolveRepo(cfg.source.git, configDir),
        ref: env.ref ?? cfg.source.ref,
        distribute: cfg.source.distribute,
        artifactBuild: [...cfg.source.artifact_build],
        artifactPath: cfg.source.artifact_path,
      }
    : { type: "dir", path: resolveLocalPath(cfg.source.dir, configDir) };
}
