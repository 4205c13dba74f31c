/**
 * `slipway <env> ssh <host|role>`: an interactive shell in the current release of that host.
 * It runs the system `ssh -t` (a real terminal, your ~/.ssh/config, agent and known_hosts), with
 * Slipway's host-key policy; a role picks the role's primary host.
 */
import { spawnSync } from "node:child_process";
import { pathsFor } from "../../config/paths.js";
import { loadConfig } from "../../config/load.js";
import { existsSync } from "node:fs";
import { resolveEnvironment, type Host, type SshSettings } from "../../config/resolve.js";
import { loadSshConfig, resolveTarget } from "../../exec/ssh/target.js";
import { rolePrimary } from "../../config/roles.js";
import { shPath } from "../../commands/quote.js";
import { UsageError } from "../../errors.js";
import type { Globals } from "../registry.js";
import { configPath, parseVerb, verbCommand } from "../verb-command.js";

/**
 * OpenSSH reads ~ from the passwd database, not $HOME, so the known_hosts file and keys that
 * Slipway resolved (the same ones its own connections use) are passed explicitly.
 */
export function sshArgv(h: Host, settings: SshSettings, remote: string): string[] {
  const t = resolveTarget(h.address!, { user: h.user, port: h.port }, loadSshConfig(settings.configFile), settings);
  const args = [
    "-t",
    "-o",
    `StrictHostKeyChecking=${settings.hostKeyChecking === "accept-new" ? "accept-new" : "yes"}`,
    "-o",
    `UserKnownHostsFile=${t.knownHosts}`,
  ];
  if (existsSync(settings.configFile)) args.push("-F", settings.configFile);
  for (const f of t.identityFiles) if (existsSync(f)) args.push("-i", f);
  if (h.user) args.push("-l", h.user);
  if (h.port) args.push("-p", String(h.port));
  args.push("--", h.address!, remote);
  return args;
}

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    "ssh",
    "Open an interactive shell in the current release directory of a host (or a role's primary host).",
    "slipway production ssh django_manage",
  ).argument("<host|role>", "host name, or role (its primary host)");
  const parsed = parseVerb(cmd, args, globals);
  if (!parsed) return 0;
  const env = resolveEnvironment(loadConfig(configPath(parsed.opts)), globals.env!);
  const want = parsed.args[0]!;
  const h = env.hosts.find((x) => x.name === want) ?? (env.hosts.some((x) => x.roles.includes(want)) ? rolePrimary(env.hosts, want) : null);
  if (!h) throw new UsageError(`"${want}" is neither a host nor a role of ${env.name} (hosts: ${env.hosts.map((x) => x.name).join(", ")})`);
  const current = pathsFor(h.deployTo).current;
  const remote = `cd ${shPath(current)} && exec "\${SHELL:-bash}" -l`;
  process.stderr.write(`${h.name}: shell in ${current}\n`);
  const r =
    h.transport === "local"
      ? spawnSync("bash", ["-c", remote], { stdio: "inherit", cwd: env.configDir })
      : spawnSync("ssh", sshArgv(h, env.ssh, remote), { stdio: "inherit" });
  if (r.error) throw new UsageError(`cannot start ssh: ${r.error.message}`);
  return r.status ?? 1;
}
