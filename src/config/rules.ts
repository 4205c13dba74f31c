/** Named cross-field rules the schema cannot express. Each returns problems with key paths. */
import { existsSync } from "node:fs";
import path from "node:path";
import type { RawConfig } from "./schema/index.js";
import { RESERVED_ALIAS_NAMES } from "./schema/aliases.js";
import { appliesTo } from "./roles.js";

export interface RuleProblem {
  path: PropertyKey[];
  message: string;
}

/** Names that are verbs without an environment (every one in cli/registry.ts), so `slipway secrets ...` stays unambiguous. */
export const RESERVED_ENV_NAMES = ["init", "config", "demo", "secrets", "state", "serve", "tokens", "version", "help", "completion"];

export function checkRules(cfg: RawConfig, configDir: string): RuleProblem[] {
  const problems: RuleProblem[] = [];
  for (const [envName, env] of Object.entries(cfg.environments)) {
    const at = (...p: PropertyKey[]) => ["environments", envName, ...p];
    if (RESERVED_ENV_NAMES.includes(envName)) {
      problems.push({ path: at(), message: `"${envName}" is a slipway verb; choose another environment name` });
    }
    const seen = new Map<string, number>();
    let primaries = 0;
    env.hosts.forEach((h, i) => {
      if (seen.has(h.name)) problems.push({ path: at("hosts", i, "name"), message: `duplicate host name "${h.name}" (also hosts[${seen.get(h.name)}])` });
      seen.set(h.name, i);
      if (h.primary) primaries++;
      const transport = h.transport ?? (h.address ? "ssh" : "local");
      if (transport === "ssh" && !h.address) problems.push({ path: at("hosts", i, "address"), message: "is required for ssh hosts" });
      if (transport === "local" && (h.user || h.port)) problems.push({ path: at("hosts", i), message: "user/port only apply to ssh hosts" });
    });
    if (primaries > 1) problems.push({ path: at("hosts"), message: "expected at most one host with primary: true" });
  }
  for (const c of Object.keys(cfg.components)) {
    if (/^\d/.test(c)) problems.push({ path: ["components", c], message: "a component name must not start with a digit (it would read as a release id)" });
    const roles = cfg.components[c]!.roles;
    if (roles) {
      for (const [envName, env] of Object.entries(cfg.environments)) {
        if (!env.hosts.some((h) => appliesTo(roles, h)))
          problems.push({ path: ["components", c, "roles"], message: `no host of environment "${envName}" has one of these roles` });
      }
    }
  }
  for (const [n, sv] of Object.entries(cfg.services)) {
    const at = ["services", n];
    if ((sv.backend === "supervisord" || sv.backend === "systemd") && !sv.command)
      problems.push({ path: [...at, "command"], message: `is required for the ${sv.backend} backend` });
    if (sv.backend === "command" && (!sv.start || !sv.stop)) problems.push({ path: at, message: "the command backend needs `start` and `stop`" });
    if (sv.component && !cfg.components[sv.component]) problems.push({ path: [...at, "component"], message: `unknown component "${sv.component}"` });
    // `logs` tails it: a path outside deploy_to would read any file the deploy user can.
    if (sv.log !== undefined && (path.isAbsolute(sv.log) || sv.log.split("/").includes("..")))
      problems.push({ path: [...at, "log"], message: `expected a relative path inside deploy_to, got ${JSON.stringify(sv.log)}` });
    if (sv.cutover) {
      if (sv.backend !== "supervisord")
        problems.push({ path: [...at, "cutover"], message: `needs the supervisord backend (one program per slot), not ${sv.backend}` });
      if (!sv.health?.http && !sv.health?.tcp)
        problems.push({ path: [...at, "health"], message: "is required with cutover: traffic moves only to a slot that answers its health check" });
      const uf = sv.cutover.upstream_file;
      if (uf?.split("/").includes(".."))
        problems.push({ path: [...at, "cutover", "upstream_file"], message: `expected a path without "..", got ${JSON.stringify(uf)}` });
    }
    if (sv.log !== undefined && sv.backend !== "command")
      problems.push({ path: [...at, "log"], message: `only the command backend takes \`log\` (${sv.backend} logs are found by \`logs\` itself)` });
  }
  if ("dir" in cfg.source) {
    const abs = path.resolve(configDir, cfg.source.dir);
    if (!existsSync(abs)) problems.push({ path: ["source", "dir"], message: `directory not found: ${abs}` });
  }
  const outside = (p: string) => path.isAbsolute(p) || p.split("/").includes("..");
  const checkRel = (list: string[], key: string, at: PropertyKey[] = []) =>
    list.forEach((p, i) => {
      if (outside(p)) problems.push({ path: [...at, "shared", key, i], message: `expected a relative path inside shared/, got ${JSON.stringify(p)}` });
    });
  checkRel(cfg.shared.dirs, "dirs");
  checkRel(cfg.shared.files, "files");
  // Dependency paths are `rm -rf`'d and copied inside the release, lockfiles compared there: the release itself (".") is no answer either.
  const checkDeps = (deps: { path: string; lockfile: string }[], at: PropertyKey[]) =>
    deps.forEach((d, i) => {
      for (const key of ["path", "lockfile"] as const) {
        const p = d[key];
        if (outside(p) || path.posix.normalize(p) === ".")
          problems.push({ path: [...at, "dependencies", i, key], message: `expected a relative path inside the release, got ${JSON.stringify(p)}` });
      }
    });
  checkDeps(cfg.dependencies, []);
  for (const [c, comp] of Object.entries(cfg.components)) {
    checkRel(comp.shared?.dirs ?? [], "dirs", ["components", c]);
    checkRel(comp.shared?.files ?? [], "files", ["components", c]);
    checkDeps(comp.dependencies ?? [], ["components", c]);
  }
  const scheduleNames = new Map<string, number>();
  cfg.schedule.forEach((s, i) => {
    const at = (k: string) => ["schedule", i, k];
    const first = scheduleNames.get(s.name);
    if (first !== undefined) problems.push({ path: at("name"), message: `duplicate schedule name "${s.name}" (also schedule[${first}])` });
    else scheduleNames.set(s.name, i);
    if (!cfg.environments[s.env])
      problems.push({ path: at("env"), message: `unknown environment "${s.env}"; environments: ${Object.keys(cfg.environments).join(", ")}` });
    if (s.component !== undefined && !cfg.components[s.component]) problems.push({ path: at("component"), message: `unknown component "${s.component}"` });
  });
  for (const a of Object.keys(cfg.aliases ?? {}))
    if (RESERVED_ALIAS_NAMES.includes(a)) problems.push({ path: ["aliases", a], message: `"${a}" is a slipway verb; choose another alias name` });
  return problems;
}
