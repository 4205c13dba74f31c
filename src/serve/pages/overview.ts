/**
 * The overview: per environment, what runs (release, commit and its message, who deployed it when),
 * the lock, hosts that disagree, a deploy in progress, commits waiting, open tasks and gates, the
 * latest runs, and the forms that act (each goes through a plan and a confirmation first).
 */
import type { EnvironmentView } from "../environments.js";
import { type Html, html } from "../html.js";
import type { RunRecord } from "../../store/store.js";
import type { ScheduleView } from "../scheduler.js";
import { csrfField, outcomeBadge, type PageUser, when } from "./layout.js";

export interface OverviewEnv {
  view: EnvironmentView;
  recent: RunRecord[];
  /** A run of this environment that has not finished (started here or from any terminal): its live log. */
  runningRun: number | null;
  /** The `schedule:` entries that deploy this environment. */
  schedules: ScheduleView[];
}

const short = (c: string | null) => (c ? c.slice(0, 12) : "–");

function actionForm(env: string, action: string, user: PageUser, fields: Html, button: string, cls = ""): Html {
  return html`<form class="inline" method="post" action="/env/${env}/actions/${action}">${csrfField(user.csrf)}${fields}<button type="submit" class="${cls}">${button}</button></form>`;
}

function envCard(e: OverviewEnv, user: PageUser): Html {
  const v = e.view;
  const acts = user.role === "deployer";
  const lock = v.lock
    ? html`<p title="${v.lock.holder}"><span class="badge bad">locked</span> by ${v.lock.who ?? v.lock.holder}${v.lock.verb ? ` (${v.lock.verb})` : ""}${v.lock.reason ? html`: <q>${v.lock.reason}</q>` : ""} since ${when(v.lock.since)}${v.lock.stale ? html` <span class="warn">(stale: its process is gone)</span>` : ""}</p>`
    : html`<p><span class="badge ok">unlocked</span></p>`;
  const disagree = v.hosts.filter((h) => !h.reachable || h.release !== v.current.release || h.note);
  return html`<section class="card env" data-env="${v.name}">
<h2><a href="/env/${v.name}/releases">${v.name}</a> <span class="muted">${v.hosts.length} host(s), primary ${v.primary}</span></h2>
<table class="current"><tbody>
<tr><th>Release</th><td class="mono" data-field="release">${v.current.release ?? "(nothing deployed)"}</td></tr>
<tr><th>Commit</th><td><span class="mono">${short(v.current.commit)}</span>${v.current.ref ? html` <span class="muted">(${v.current.ref})</span>` : ""} ${v.current.subject ?? ""}</td></tr>
<tr><th>Deployed</th><td>${v.current.deployedBy ?? "–"} ${when(v.current.deployedAt)}</td></tr>
</tbody></table>
<div data-field="lock">${lock}</div>
${v.deploy ? html`<p class="${v.deploy.state === "interrupted" ? "warn" : ""}" data-field="deploy">Deploy ${v.deploy.state}: ${v.deploy.release} (${v.deploy.ref} @ ${short(v.deploy.commit)}) by ${v.deploy.by} ${when(v.deploy.startedAt)}${e.runningRun ? html` · <a href="/runs/${e.runningRun}">live log</a>` : ""}</p>` : ""}
${disagree.length ? html`<div class="warn" data-field="disagree">Hosts that disagree: <ul>${disagree.map((h) => html`<li>${h.name}: ${h.note ?? h.release ?? "?"}</li>`)}</ul></div>` : ""}
${v.warnings.length ? html`<details><summary class="muted">${v.warnings.length} warning(s)</summary><ul>${v.warnings.map((w) => html`<li>${w}</li>`)}</ul></details>` : ""}
<h3>Waiting to ship${v.pending.ref ? html` on ${v.pending.ref}` : ""}: ${v.pending.state === "unknown" ? html`<span class="muted">unknown (${v.pending.reason ?? "?"})</span>` : `${v.pending.count} commit(s)`}</h3>
${v.pending.commits.length ? html`<ul class="commits">${v.pending.commits.map((c) => html`<li><span class="mono">${c.commit.slice(0, 10)}</span> ${c.subject} <span class="muted">${c.author}</span></li>`)}</ul>` : ""}
${v.gates.length ? html`<p>Gates: ${v.gates.join(", ")}</p>` : ""}
${
  v.approvals
    ? html`<p data-field="approvals">Approvals of <span class="mono">${v.approvals.commit.slice(0, 12)}</span> (${v.approvals.approvals.length} of ${v.approvals.required} needed): ${
        v.approvals.approvals.length ? v.approvals.approvals.map((a) => html`${a.who} <q>${a.why}</q> `) : html`<span class="muted">none yet</span>`
      }</p>`
    : ""
}
${
  v.announcements.length
    ? html`<div data-field="announcements"><h3>Announced downtime</h3><ul>${v.announcements.map(
        (a) => html`<li>${when(a.start)} to ${when(a.end)}: ${a.nature}; affected: ${a.affected}; users see: ${a.experience}</li>`,
      )}</ul></div>`
    : ""
}
${e.runningRun && !v.deploy ? html`<p data-field="running">Not finished: <a href="/runs/${e.runningRun}">run #${e.runningRun}</a> (its live log)</p>` : ""}
${
  e.schedules.length
    ? html`<p data-field="schedules">Scheduled: ${e.schedules.map(
        (s) =>
          html`<a href="/schedules">${s.name}</a> next ${when(s.next)}${s.last ? html`, last ${outcomeBadge(s.last.outcome === "running" ? null : s.last.outcome)}` : ""}${
            s.missed.length ? html` <span class="warn">${s.missed.length} missed</span>` : ""
          } `,
      )}</p>`
    : ""
}
${
  v.openTasks.length
    ? html`<h3>Open tasks</h3><ul>${v.openTasks.map(
        (t) =>
          html`<li><span class="mono">${t.id}</span> (${t.when}${t.ref ? ` ${t.ref}` : ""}) ${t.text} ${
            acts
              ? actionForm(
                  v.name,
                  "task",
                  user,
                  html`<input type="hidden" name="id" value="${t.id}"><input type="text" name="note" placeholder="what was done" required>`,
                  "Done",
                  "secondary",
                )
              : ""
          }</li>`,
      )}</ul>`
    : ""
}
${
  acts
    ? html`<div class="actions">
${actionForm(v.name, "deploy", user, html`<input type="text" name="ref" placeholder="ref (default: the config's)" aria-label="ref"> <input type="text" name="message" placeholder="why" aria-label="message"> `, "Deploy…")}
${v.lock ? actionForm(v.name, "unlock", user, html``, "Unlock…", "secondary") : actionForm(v.name, "lock", user, html` <input type="text" name="message" placeholder="reason" required aria-label="lock reason"> `, "Lock…", "secondary")}
${actionForm(v.name, "approve", user, html` <input type="text" name="ref" placeholder="commit or ref" required aria-label="commit to approve"> <input type="text" name="message" placeholder="why" required aria-label="approval reason"> `, "Approve…", "secondary")}
</div>`
    : ""
}
<h3>Latest runs <a class="muted" href="/history?env=${v.name}">all</a></h3>
${runTable(e.recent)}
</section>`;
}

export function runTable(runs: readonly RunRecord[]): Html {
  if (!runs.length) return html`<p class="muted">No runs recorded.</p>`;
  return html`<table class="runs"><thead><tr><th>Run</th><th>Verb</th><th>Env</th><th>Release</th><th>By</th><th>Started</th><th>Took</th><th>Outcome</th></tr></thead><tbody>
${runs.map(
  (r) =>
    html`<tr><td><a href="/runs/${r.id}">#${r.id}</a></td><td>${r.verb}</td><td>${r.env}</td><td class="mono">${r.releaseId ?? "–"}</td><td>${r.by}</td><td>${when(r.startedAt)}</td><td>${r.durationMs !== null ? `${(r.durationMs / 1000).toFixed(1)} s` : "–"}</td><td>${outcomeBadge(r.outcome)}</td></tr>`,
)}
</tbody></table>`;
}

export function overviewBody(envs: readonly OverviewEnv[], user: PageUser): Html {
  return html`<div class="grid">${envs.map((e) => envCard(e, user))}</div>`;
}
