/**
 * What `GET /api/environments` reports per environment, read from the hosts the way `status` reads
 * them (gatherReachable: one read-only round trip per host, no lock), with a time limit per host so
 * one host that hangs is reported as unreachable instead of holding the request.
 */
import { gatherReachable } from "../apply/gather.js";
import { describeHolder, isStale } from "../apply/lock.js";
import { ExecutorPool, type RunContext, whoAmI } from "../apply/context.js";
import { pendingFor, runningCommit } from "../apply/pending.js";
import { loadApprovals } from "../apply/preflight/approvals.js";
import { readAnnouncements, readTasks } from "../apply/records.js";
import { listRecords } from "../commands/records.js";
import { now } from "../config/clock.js";
import { pathsFor } from "../config/paths.js";
import { executorFactory } from "../exec/factory.js";
import type { Environment } from "../config/resolve.js";
import { EventBus } from "../events/bus.js";
import { planStatus } from "../plan/status.js";
import type { KeptConnections } from "./kept.js";
import { boundedFactory } from "./reads.js";
import { VERSION } from "../version.js";
import type { ServeContext } from "./context.js";

export interface HostView {
  name: string;
  roles: string[];
  reachable: boolean;
  release: string | null;
  commit: string | null;
  /** Every release on the host, newest first (empty when it could not be read). */
  releases: { id: string; status: string; commit: string | null; ref: string | null; deployedBy: string | null; deployedAt: string | null }[];
  /** Why the host could not be read, or what is odd about it (`current` not one of ours, nothing deployed). */
  note: string | null;
}

export interface EnvironmentView {
  name: string;
  primary: string;
  /** The primary's current release (or the most common one when the primary cannot be read), as `status` decides it. */
  current: { release: string | null; commit: string | null; subject: string | null; ref: string | null; deployedBy: string | null; deployedAt: string | null };
  /** A deploy that started and has not finished: running now (the lock is live) or interrupted. */
  deploy: { state: "in-progress" | "interrupted"; release: string; commit: string; ref: string; by: string; startedAt: string } | null;
  /** Commits the configured ref has that production does not run (git on this machine), newest first, at most 10. */
  pending: { state: string; ref: string; count: number; commits: { commit: string; author: string; date: string; subject: string }[]; reason: string | null };
  /** Tasks on the primary not yet done. */
  openTasks: { id: string; text: string; when: string; ref: string | null }[];
  /** The gates a deploy of this environment must pass (their results are in a deploy's plan). */
  gates: string[];
  /** Downtime announced on the primary that has not ended yet, soonest first. */
  announcements: { id: string; start: string; end: string; nature: string; affected: string; experience: string }[];
  /** With `gates.approvals`: the approvals of the commit the configured ref would ship (null: no such gate, or no commit known). */
  approvals: { commit: string; approvals: { who: string; at: string; why: string }[]; required: number } | null;
  /** True when a host runs something else or could not be read. */
  disagree: boolean;
  hosts: HostView[];
  /** The lock on the primary: who holds it, why, since when (never its token). */
  lock: { holder: string; who: string | null; reason: string | null; verb: string | null; since: string | null; manual: boolean; stale: boolean } | null;
  /** Malformed data the hosts sent (ignored, as `status` does). */
  warnings: string[];
}

/** Read one environment's hosts and describe it (`name` is one of sc.environments). */
export function readEnvironment(sc: ServeContext, name: string): Promise<EnvironmentView> {
  return sc.reads.shared(name, async () => {
    const kept = sc.reads.connections(name, () => executorFactory(readEnv(sc, name)));
    const first = await readOnce(sc, name, kept);
    // A host whose kept connection had died (sshd restarted, the network blinked) is read once more
    // on a fresh connection before it is called unreachable.
    if (!first.staleUnreachable.length) return first.view;
    kept.evict(first.staleUnreachable);
    return (await readOnce(sc, name, kept)).view;
  });
}

/** The environment as a read sees it: its own time limit replaces timeouts.check, which is sized for a deploy's check phase. */
function readEnv(sc: ServeContext, name: string): Environment {
  const { env } = sc.environments.get(name)!;
  return { ...env, timeouts: { ...env.timeouts, check: sc.readTimeoutMs } };
}

async function readOnce(sc: ServeContext, name: string, kept: KeptConnections): Promise<{ view: EnvironmentView; staleUnreachable: string[] }> {
  const { redact } = sc.environments.get(name)!;
  const env = readEnv(sc, name);
  const bus = new EventBus(redact);
  const warnings: string[] = [];
  bus.add({ handle: (e) => void (e.type === "warn" && warnings.push(e.host ? `${e.host}: ${e.message}` : e.message)) });
  const lease = kept.lease();
  const pool = new ExecutorPool(boundedFactory(lease.factory, sc.readTimeoutMs));
  const ctx: RunContext = { env, bus, signal: new AbortController().signal, pool, parallel: 64, by: whoAmI(), toolVersion: VERSION, stateDir: sc.stateDir };
  try {
    // The primary's tasks and announcements ride along in its state read: no round trip of their own.
    const { states, unreachable } = await gatherReachable(
      ctx,
      pool,
      env.hosts,
      {},
      "status",
      (h): Record<string, string> =>
        h.name === env.primary.name
          ? { tasks: listRecords(pathsFor(h.deployTo), "tasks"), announcements: listRecords(pathsFor(h.deployTo), "announcements") }
          : {},
    );
    const primaryUp = Boolean(states[env.primary.name]);
    const extras = states[env.primary.name]?.extras;
    const onPrimary = <T>(what: string, read: () => Promise<T[]>): Promise<T[]> =>
      primaryUp ? read().catch((e: Error) => (warnings.push(`${what}: ${redact(e.message)}`), [] as T[])) : Promise.resolve([]);
    const [{ pending, subject }, tasks, announced] = await Promise.all([
      pendingFor(ctx, runningCommit(states[env.primary.name])),
      onPrimary("tasks", () => readTasks(ctx, extras?.tasks)),
      onPrimary("announcements", () => readAnnouncements(ctx, extras?.announcements)),
    ]);
    const rule = env.gates.approvals;
    const shipping = pending.to;
    const approved = rule && shipping ? await onPrimary("approvals", () => loadApprovals(ctx, shipping)) : [];
    const t = now().getTime();
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
      subject,
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
          releases: [],
          note: `unreachable: ${gone?.error.split("\n")[0] ?? "no answer"}`,
        };
      const rel = st.releases.find((r) => r.id === st.current);
      const note = st.badCurrent !== undefined ? `current points at ${st.badCurrent}, not a release` : st.current ? null : "nothing deployed";
      const releases = [...st.releases].reverse().map((r) => ({
        id: r.id,
        status: r.status,
        commit: r.manifest?.commit ?? null,
        ref: r.manifest?.ref ?? null,
        deployedBy: r.manifest?.deployedBy ?? null,
        deployedAt: r.manifest?.createdAt ?? null,
      }));
      return { name: h.name, roles: h.roles, reachable: true, release: st.current, commit: rel?.manifest?.commit ?? null, releases, note };
    });
    const l = report.lock;
    const view: EnvironmentView = {
      name: env.name,
      primary: env.primary.name,
      current: { ...report.current },
      deploy: report.deploy && {
        state: report.deploy.state,
        release: report.deploy.release,
        commit: report.deploy.commit,
        ref: report.deploy.ref,
        by: report.deploy.by,
        startedAt: report.deploy.startedAt,
      },
      pending: { state: pending.state, ref: pending.ref, count: pending.count, commits: pending.commits.slice(0, 10), reason: pending.reason ?? null },
      openTasks: tasks.filter((t) => !t.done).map((t) => ({ id: t.id, text: t.text, when: t.when, ref: t.ref ?? null })),
      gates: gateNames(env),
      announcements: announced
        .map((a) => ({ a, end: Date.parse(a.start) + a.durationMin * 60_000 }))
        .filter((x) => x.end > t)
        .sort((x, y) => Date.parse(x.a.start) - Date.parse(y.a.start))
        .map(({ a, end }) => ({
          id: a.id,
          start: a.start,
          end: new Date(end).toISOString(),
          nature: a.nature,
          affected: a.affected,
          experience: a.experience,
        })),
      approvals:
        rule && shipping
          ? {
              commit: shipping,
              required: rule.required,
              approvals: approved.filter((a) => a.commit === shipping).map((a) => ({ who: a.who, at: a.at, why: a.why })),
            }
          : null,
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
    return { view, staleUnreachable: unreachable.map((u) => u.host).filter((h) => lease.reused.has(h)) };
  } finally {
    await pool.closeAll();
  }
}

function gateNames(env: Environment): string[] {
  const g = env.gates;
  return [
    ...(g.ci ? ["ci"] : []),
    ...g.metric.map((m) => `metric ${m.name}`),
    ...g.requires.map((r) => `requires ${r.env}${r.component ? `/${r.component}` : ""}`),
    ...(g.promotedFrom ? [`promoted from ${g.promotedFrom.env}`] : []),
    ...(g.approvals ? [`${g.approvals.required} approval(s)`] : []),
    ...(env.windows ? [`deploy windows (${env.windows.timezone})`] : []),
  ];
}
