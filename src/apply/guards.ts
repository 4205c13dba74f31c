/** Checks a deploy makes before it plans: the drift guard, what --resume may continue, who may fail. */
import type { Host } from "../config/resolve.js";
import { OperationError } from "../errors.js";
import type { HostState } from "../plan/state.js";
import { configRevision, guardRefusal } from "./configpush.js";
import type { RunContext } from "./context.js";

/** Refuse to deploy from a config checkout older than the one that last pushed settings to these hosts. */
export function driftGuard(ctx: RunContext, hosts: Host[], states: Record<string, HostState>, force: boolean): void {
  if (!hosts.some((h) => states[h.name]?.pushRecord)) return;
  const rev = configRevision(ctx.env.configDir);
  const refusals = hosts
    .map((h) => guardRefusal(states[h.name]?.pushRecord ?? null, rev, ctx.toolVersion, ctx.env.configDir, h.name))
    .filter((x): x is string => x !== null);
  if (!refusals.length) return;
  if (force) {
    ctx.bus.warn(`deploying past the drift guard (--force):\n${refusals.join("\n")}`);
    return;
  }
  throw new OperationError(`deploy refused (drift guard):
${refusals.map((r) => `  ${r}`).join("\n")}
update your checkout, or use --force`);
}

/**
 * What `--resume` continues: the deploy recorded on the primary. Refused when there is none, when
 * its commit differs from a --ref given now, or when hosts disagree about what is current.
 */
export function resumeInfo(ctx: RunContext, states: Record<string, HostState>, hosts: Host[], wantCommit?: string) {
  const ps = states[ctx.env.primary.name];
  const dep = ps?.deploying;
  if (!dep) throw new OperationError(`nothing to resume: no unfinished deploy recorded on ${ctx.env.primary.name}`);
  if (wantCommit && wantCommit !== dep.commit && ctx.env.source.type === "dir") {
    throw new OperationError(
      `resume refused: ${ctx.env.source.path} changed since the interrupted deploy ${dep.release} started (content ${wantCommit.slice(0, 12)}, was ${dep.commit.slice(0, 12)}); ` +
        `hosts already on ${dep.release} would get other files under the same release id. Restore the directory, or deploy anew without --resume`,
    );
  }
  if (wantCommit && wantCommit !== dep.commit) {
    throw new OperationError(
      `resume refused: the interrupted deploy ${dep.release} is commit ${dep.commit.slice(0, 12)} (${dep.ref}), but --ref resolves to ${wantCommit.slice(0, 12)}`,
    );
  }
  const odd = hosts.filter((h) => ![dep.previous, dep.release].includes(states[h.name]?.current ?? null));
  if (odd.length) {
    const seen = hosts.map((h) => `${h.name}=${states[h.name]?.current ?? "(none)"}`).join(", ");
    throw new OperationError(`resume refused: hosts disagree about what is current (expected ${dep.previous ?? "(none)"} or ${dep.release}): ${seen}`);
  }
  const manifest = ps.releases.find((r) => r.id === dep.release)?.manifest ?? null;
  return { release: dep.release, previous: dep.previous, manifest, deploying: dep };
}

/** A host may fail without stopping the others when every one of its roles allows it. */
export function isPartialHost(ctx: RunContext, h: Host): boolean {
  return h.roles.length > 0 && h.roles.every((r) => ctx.env.partialRoles.includes(r));
}
