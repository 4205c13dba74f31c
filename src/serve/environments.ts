/**
 * What `GET /api/environments` reports per environment, read from the hosts the way `status` reads
 * them (gatherReachable: one read-only round trip per host, no lock), with a time limit per host so
 * one host that hangs is reported as unreachable instead of holding the request.
 */
import { gatherReachable } from "../apply/gather.js";
import { describeHolder, isStale } from "../apply/lock.js";
import { ExecutorPool, type RunContext, whoAmI } from "../apply/context.js";
import { executorFactory } from "../cli/session.js";
import type { Environment, Host } from "../config/resolve.js";
import { OperationError } from "../errors.js";
import { EventBus } from "../events/bus.js";
import type { Executor, ExecutorFactory } from "../exec/executor.js";
import { planStatus } from "../plan/status.js";
import { VERSION } from "../version.js";
import type { ServeContext } from "./context.js";

export interface HostView {
  name: string;
  roles: string[];
  reachable: boolean;
  release: string | null;
  commit: string | null;
  /** Why the host could not be read, or what is odd about it (`current` not one of ours, nothing deployed). */
  note: string | null;
}

export interface EnvironmentView {
  name: string;
  primary: string;
  /** The primary's current release (or the most common one when the primary cannot be read), as `status` decides it. */
  current: { release: string | null; commit: string | null; deployedBy: string | null; deployedAt: string | null };
  /** True when a host runs something else or could not be read. */
  disagree: boolean;
  hosts: HostView[];
  /** The lock on the primary: who holds it, why, since when (never its token). */
  lock: { holder: string; who: string | null; reason: string | null; verb: string | null; since: string | null; manual: boolean; stale: boolean } | null;
  /** Malformed data the hosts sent (ignored, as `status` does). */
  warnings: string[];
}

/** The factory, with connecting bounded too: a host that accepts TCP and never finishes the handshake must not hold the request. */
function boundedFactory(inner: ExecutorFactory, ms: number): ExecutorFactory {
  return (h: Host) =>
    new Promise<Executor>((resolve, reject) => {
      let late = false;
      const timer = setTimeout(() => {
        late = true;
        reject(new OperationError(`no connection within ${ms / 1000} s`));
      }, ms);
      inner(h).then(
        (ex) => {
          clearTimeout(timer);
          // Too late: the request has moved on, so the connection is closed at once.
          if (late) void ex.close();
          else resolve(ex);
        },
        (e) => {
          clearTimeout(timer);
          reject(e);
        },
      );
    });
}

/** Read one environment's hosts and describe it (`name` is one of sc.environments). */
export async function readEnvironment(sc: ServeContext, name: string): Promise<EnvironmentView> {
  const { env: resolved, redact } = sc.environments.get(name)!;
  // The read's own limit replaces timeouts.check, which is sized for a deploy's check phase.
  const env: Environment = { ...resolved, timeouts: { ...resolved.timeouts, check: sc.readTimeoutMs } };
  const bus = new EventBus(redact);
  const warnings: string[] = [];
  bus.add({ handle: (e) => void (e.type === "warn" && warnings.push(e.host ? `${e.host}: ${e.message}` : e.message)) });
  const pool = new ExecutorPool(boundedFactory(executorFactory(env), sc.readTimeoutMs));
  const ctx: RunContext = { env, bus, signal: new AbortController().signal, pool, parallel: 64, by: whoAmI(), toolVersion: VERSION, stateDir: sc.stateDir };
  try {
    const { states, unreachable } = await gatherReachable(ctx, pool, env.hosts, {}, "status");
    const lockInfo = states[env.primary.name]?.lock ?? null;
    const lost = unreachable.map((u) => ({ host: u.host, error: redact(u.error.message) }));
    // planStatus decides "current" and who disagrees exactly as `slipway <env> status` does; the
    // API does not ask git for pending commits or probe services (later routes may).
    const report = planStatus({
      app: env.app,
      env: env.name,
      component: null,
      primary: env.primary.name,
      hosts: env.hosts,
      states,
      unreachable: lost,
      probes: {},
      services: [],
      lock: lockInfo && { info: lockInfo, holder: describeHolder(lockInfo, env.name), stale: isStale(lockInfo) },
      pending: { state: "unknown", ref: "", from: null, to: null, commits: [], count: 0, files: [], reason: "not read by the API" },
      subject: null,
    });
    const hosts = env.hosts.map((h): HostView => {
      const st = states[h.name];
      const gone = lost.find((u) => u.host === h.name);
      if (!st)
        return {
          name: h.name,
          roles: h.roles,
          reachable: false,
          release: null,
          commit: null,
          note: `unreachable: ${gone?.error.split("\n")[0] ?? "no answer"}`,
        };
      const rel = st.releases.find((r) => r.id === st.current);
      const note = st.badCurrent !== undefined ? `current points at ${st.badCurrent}, not a release` : st.current ? null : "nothing deployed";
      return { name: h.name, roles: h.roles, reachable: true, release: st.current, commit: rel?.manifest?.commit ?? null, note };
    });
    const l = report.lock;
    return {
      name: env.name,
      primary: env.primary.name,
      current: { release: report.current.release, commit: report.current.commit, deployedBy: report.current.deployedBy, deployedAt: report.current.deployedAt },
      disagree: report.disagree.length > 0,
      hosts,
      lock: l && {
        holder: l.holder,
        who: l.info.who ?? null,
        reason: l.info.reason ?? null,
        verb: l.info.verb ?? null,
        since: l.info.since ?? null,
        manual: Boolean(l.info.manual),
        stale: Boolean(lockInfo && isStale(lockInfo)),
      },
      warnings,
    };
  } finally {
    await pool.closeAll();
  }
}
