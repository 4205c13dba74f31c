/**
 * `slipway <env> after-reboot [--limit H]`: bring rebooted hosts back: the reboot hooks first
 * (`after_reboot:`), then every service in start order with health checks, then a report of what
 * is still unhealthy (exit 1 if anything is).
 */
import { actionCommands, serviceStates } from "../../apply/services.js";
import { runScripts, StageError } from "../../apply/stages.js";
import { pathsFor } from "../../config/paths.js";
import { appliesTo } from "../../config/roles.js";
import { cmd, type HostScript } from "../../commands/script.js";
import { OperationError } from "../../errors.js";
import { commandEnv } from "../../plan/sections.js";
import { table } from "../../render/table.js";
import type { Globals } from "../registry.js";
import { openSession, parseVerb, runOperation, verbCommand } from "../session.js";

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmdDef = verbCommand("after-reboot", "Bring rebooted hosts back: reboot hooks, then services in order with health checks; report what is still unhealthy.", "slipway production after-reboot --limit web2").option(
    "--limit <hosts>",
    "only these hosts, roles or globs",
  );
  const parsed = parseVerb<{ limit?: string }>(cmdDef, args, globals);
  if (!parsed) return 0;
  const s = await openSession(parsed.opts, { verb: "after-reboot", limit: parsed.opts.limit, record: true });
  return runOperation(s, async () => {
    const pool = s.ctx.pool;
    const scripts: Record<string, HostScript> = {};
    for (const h of s.hosts) {
      const hooks = s.env.afterReboot.filter((c) => appliesTo(c.roles, h)).map((c) => cmd(c.run));
      const sections = [
        ...(hooks.length ? [{ phase: "reboot hooks", cwd: pathsFor(h.deployTo).root, commands: hooks }] : []),
        ...(actionCommands(s.env, h, s.env.services, "start").length ? [{ phase: "start services", cwd: pathsFor(h.deployTo).root, commands: actionCommands(s.env, h, s.env.services, "start") }] : []),
      ];
      if (sections.length) scripts[h.name] = { env: commandEnv(s.env, { SLIPWAY_HOST: h.name }), sections };
    }
    let failedStart = "";
    const targets = s.hosts.filter((h) => scripts[h.name]);
    if (targets.length) {
      await runScripts(s.ctx, pool, targets, scripts, "after-reboot").catch((e) => {
        if (!(e instanceof StageError)) throw e;
        failedStart = e.message;
      });
    }
    const states = await serviceStates(s.ctx, pool, s.hosts, s.env.services);
    const bad = Object.entries(states).flatMap(([h, l]) => l.filter((x) => !x.ok).map((x) => [h, x.service, x.output]));
    if (bad.length) {
      s.out.text(table(["HOST", "SERVICE", "STILL UNHEALTHY"], bad));
      throw new OperationError(`${bad.length} service instance(s) still unhealthy after the reboot procedure${failedStart ? `\n${failedStart}` : ""}`);
    }
    if (failedStart) throw new OperationError(failedStart);
    return [`${s.hosts.map((h) => h.name).join(", ")}: reboot hooks run, every service started and healthy`];
  });
}
