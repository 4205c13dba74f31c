/** Releases per host: every release each host keeps, which one is current, and a rollback to any good one. */
import type { EnvironmentView } from "../environments.js";
import { type Html, html } from "../html.js";
import { csrfField, type PageUser, when } from "./layout.js";

export function releasesBody(v: EnvironmentView, user: PageUser): Html {
  return html`${v.hosts.map(
    (h) => html`<section class="card" data-host="${h.name}">
<h2>${h.name} <span class="muted">${h.roles.join(", ")}</span>${h.reachable ? "" : html` <span class="badge bad">unreachable</span>`}</h2>
${h.note ? html`<p class="warn">${h.note}</p>` : ""}
${
  h.releases.length
    ? html`<table><thead><tr><th>Release</th><th>Status</th><th>Commit</th><th>Ref</th><th>Deployed by</th><th>At</th><th></th></tr></thead><tbody>
${h.releases.map(
  (r) =>
    html`<tr data-release="${r.id}"><td class="mono">${r.id}${r.id === h.release ? html` <span class="badge ok">current</span>` : ""}</td><td>${r.status}</td><td class="mono">${r.commit?.slice(0, 12) ?? "–"}</td><td>${r.ref ?? "–"}</td><td>${r.deployedBy ?? "–"}</td><td>${when(r.deployedAt)}</td><td>${
      user.role === "deployer" && r.id !== h.release && h.name === v.primary
        ? html`<form class="inline" method="post" action="/env/${v.name}/actions/rollback">${csrfField(user.csrf)}<input type="hidden" name="release" value="${r.id}"><button type="submit" class="secondary">Roll back to this…</button></form>`
        : ""
    }</td></tr>`,
)}</tbody></table>`
    : html`<p class="muted">No releases.</p>`
}
</section>`,
  )}`;
}
