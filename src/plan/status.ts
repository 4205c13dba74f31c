/** `status`: the one-screen report of an environment, decided from host states, service probes and pending commits (pure). */
import type { LockInfo } from "../commands/lock.js";
import type { ServiceState } from "../commands/services/health.js";
import { pendingHeadline, type Pending, type PendingState } from "./pending.js";
import type { HostState } from "./state.js";
import { watchLines, type HostWatch } from "./verify-input.js";

/** Everything status needs, already read (apply/status.ts does the reading). */
export interface StatusInput {
  app: string;
  env: string;
  component: string | null;
  primary: string;
  hosts: { name: string; roles: string[] }[];
  /** Hosts that answered. */
  states: Record<string, HostState>;
  unreachable: { host: string; error: string }[];
  /** Per host: its services' probe results (an unreachable host: every service down). */
  probes: Record<string, ServiceState[]>;
  /** The configured services and where they run (null: every role). */
  services: { name: string; roles: string[] | null }[];
  /** The lock holder described (describeHolder), and whether its process is provably gone. */
  lock: { info: Partial<LockInfo>; holder: string; stale: boolean } | null;
  pending: Pending;
  /** The running commit's subject (null: git could not tell). */
  subject: string | null;
  /** Verify-window watchers found on the hosts (`deploy --no-wait`). */
  watches?: HostWatch[];
}

/** What one host runs, as shown when hosts disagree. */
export interface HostRuns {
  host: string;
  release: string | null;
  commit: string | null;
  /** Set when `current` is not one of ours, or the host could not be read. */
  note?: string;
}

/** One service on one role: healthy/total and the hosts that are not. */
export interface RoleHealth {
  role: string;
  service: string;
  healthy: number;
  total: number;
  unhealthy: { host: string; output: string }[];
}

export interface StatusReport {
  app: string;
  env: string;
  component: string | null;
  primary: string;
  /** How many hosts the environment has. */
  hostCount: number;
  /** False when hosts disagree (or cannot be read) or a service is unhealthy: `status` exits 1. */
  ok: boolean;
  current: { release: string | null; commit: string | null; subject: string | null; ref: string | null; deployedBy: string | null; deployedAt: string | null };
  /** Hosts that run something other than the primary's current. */
  disagree: HostRuns[];
  lock: { holder: string; info: Partial<LockInfo> } | null;
  deploy: { state: "in-progress" | "interrupted"; release: string; commit: string; ref: string; by: string; startedAt: string; resume: string } | null;
  services: RoleHealth[];
  pending: { state: PendingState; count: number; ref: string; to: string | null; summary: string };
  /** Why `ok` is false, one line each. */
  failures: string[];
  /** The newest verify-window watcher, described (primary first); empty when none ever ran. */
  verifyWindow: string[];
}

/** What a host runs: its current release and that release's commit. */
function runs(st: HostState): HostRuns {
  const rel = st.releases.find((r) => r.id === st.current);
  const r: HostRuns = { host: st.host, release: st.current, commit: rel?.manifest?.commit ?? null };
  if (st.badCurrent !== undefined) r.note = `current points at ${st.badCurrent}, not a release`;
  else if (!st.current) r.note = "nothing deployed";
  return r;
}

/** Decide the report. The primary's current is the reference; if the primary cannot be read, the most common one. */
export function planStatus(i: StatusInput): StatusReport {
  const answered = i.hosts.filter((h) => i.states[h.name]).map((h) => runs(i.states[h.name]!));
  const ref = answered.find((r) => r.host === i.primary) ?? mostCommon(answered);
  const disagree: HostRuns[] = answered.filter((r) => ref && (r.release !== ref.release || r.note !== ref.note));
  for (const u of i.unreachable) disagree.push({ host: u.host, release: null, commit: null, note: `unreachable: ${u.error.split("\n")[0]}` });
  const refState = ref ? i.states[ref.host] : undefined;
  const manifest = refState?.releases.find((r) => r.id === refState.current)?.manifest ?? null;
  const dep = i.states[i.primary]?.deploying ?? null;
  const running = i.lock && !i.lock.stale && /^(deploy|setup-release)$/.test(i.lock.info.verb ?? "");
  const services = roleHealth(i);
  const failures = [
    ...disagree.map((d) => `${d.host} disagrees: ${describeRuns(d)}`),
    ...services.flatMap((s) => s.unhealthy.map((u) => `${s.service} unhealthy on ${u.host} (${s.role})`)),
    ...(i.watches ?? []).filter((w) => w.state?.status === "revert-failed").map((w) => `the automatic revert failed on ${w.host}`),
  ];
  return {
    app: i.app,
    env: i.env,
    component: i.component,
    primary: i.primary,
    hostCount: i.hosts.length,
    ok: failures.length === 0,
    current: {
      release: ref?.release ?? null,
      commit: manifest?.commit ?? null,
      subject: i.subject,
      ref: manifest?.ref ?? null,
      deployedBy: manifest?.deployedBy ?? null,
      deployedAt: manifest?.createdAt ?? null,
    },
    disagree,
    lock: i.lock ? { holder: i.lock.holder, info: i.lock.info } : null,
    deploy: dep && {
      state: running ? "in-progress" : "interrupted",
      release: dep.release,
      commit: dep.commit,
      ref: dep.ref,
      by: dep.by,
      startedAt: dep.startedAt,
      resume: `slipway ${i.env} deploy${i.component ? ` ${i.component}` : ""} --resume`,
    },
    services,
    pending: { state: i.pending.state, count: i.pending.count, ref: i.pending.ref, to: i.pending.to, summary: pendingHeadline(i.pending) },
    failures,
    // A watcher older than the current release is history (a later deploy replaced what it watched).
    verifyWindow: watchLines(
      (i.watches ?? []).filter((w) => !ref?.release || w.release >= ref.release),
      i.primary,
    ),
  };
}

function mostCommon(list: HostRuns[]): HostRuns | undefined {
  const n = (r: HostRuns) => list.filter((x) => x.release === r.release).length;
  return [...list].sort((a, b) => n(b) - n(a))[0];
}

/** How status names the hosts that have no role. */
export const NO_ROLE = "all";

/** Per role (in host order), per service on it: healthy/total over that role's hosts. */
function roleHealth(i: StatusInput): RoleHealth[] {
  // Hosts without roles run the services that name no role: they form one group of their own.
  const groups = [...new Set(i.hosts.flatMap((h) => h.roles))].map((role) => ({ role, hosts: i.hosts.filter((h) => h.roles.includes(role)) }));
  const roleless = i.hosts.filter((h) => h.roles.length === 0);
  if (roleless.length) groups.push({ role: NO_ROLE, hosts: roleless });
  const out: RoleHealth[] = [];
  for (const { role, hosts } of groups) {
    for (const svc of i.services.filter((s) => !s.roles || (role !== NO_ROLE && s.roles.includes(role)))) {
      const row: RoleHealth = { role, service: svc.name, healthy: 0, total: hosts.length, unhealthy: [] };
      for (const h of hosts) {
        const probe = (i.probes[h.name] ?? []).find((p) => p.service === svc.name);
        if (probe?.ok) row.healthy++;
        else row.unhealthy.push({ host: h.name, output: probe?.output || "not reported" });
      }
      out.push(row);
    }
  }
  return out;
}

const short = (c: string | null) => (c ? c.slice(0, 12) : "?");
const when = (iso: string | null) => (iso ? iso.replace("T", " ").replace(/\.\d+Z$/, "Z") : "?");

function describeRuns(r: HostRuns): string {
  if (r.note && !r.release) return r.note;
  return `runs ${r.release} (${short(r.commit)})${r.note ? `; ${r.note}` : ""}`;
}

/** The screen: one labelled line (or block) per question an operator asks. */
export function formatStatus(r: StatusReport): string {
  const lines: string[] = [];
  const row = (label: string, text: string) => lines.push(`${label.padEnd(9)} ${text}`);
  const more = (text: string) => lines.push(`${" ".repeat(10)}${text}`);
  lines.push(`${r.app} ${r.env}${r.component ? ` ${r.component}` : ""} (${r.hostCount} host${r.hostCount === 1 ? "" : "s"}, primary ${r.primary})`);
  const c = r.current;
  if (!c.release) row("current", "nothing deployed");
  else {
    row("current", `${c.release}  ${short(c.commit)}  ${c.subject === null ? "(subject unknown)" : JSON.stringify(c.subject)}`);
    more(`deployed by ${c.deployedBy ?? "?"} at ${when(c.deployedAt)} (ref ${c.ref ?? "?"})`);
  }
  if (!r.disagree.length) row("hosts", `all ${r.hostCount} on ${c.release ?? "nothing"}`);
  else {
    row("hosts", `${r.disagree.length} disagree with ${c.release ?? "the others"}:`);
    for (const d of r.disagree) more(`${d.host}: ${describeRuns(d)}`);
  }
  row("lock", r.lock ? r.lock.holder.split("\n")[0]! : "not held");
  for (const l of r.lock?.holder.split("\n").slice(1) ?? []) more(l);
  if (!r.deploy) row("deploy", "none in progress");
  else {
    const d = r.deploy;
    row(
      "deploy",
      `${d.state === "in-progress" ? "in progress" : "INTERRUPTED"}: ${d.release} (${short(d.commit)}, ref ${d.ref}) started by ${d.by} at ${when(d.startedAt)}`,
    );
    if (d.state === "interrupted") more(`resume with: ${d.resume}`);
  }
  if (!r.services.length) row("services", "none configured");
  r.services.forEach((s, n) => {
    const down = s.unhealthy.length ? `; unhealthy: ${s.unhealthy.map((u) => `${u.host} (${u.output})`).join(", ")}` : "";
    (n === 0 ? (t: string) => row("services", t) : more)(`${s.role}/${s.service}: ${s.healthy}/${s.total} healthy${down}`);
  });
  for (const [n, l] of r.verifyWindow.entries()) (n === 0 ? (t: string) => row("verify", t) : more)(l);
  row("pending", r.pending.summary.replace(/^pending: /, ""));
  return `${lines.join("\n")}\n`;
}
