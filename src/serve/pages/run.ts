/** One run: what it was, its log so far, and the live rest of it (server-sent events, assets/app.js). */
import { type Html, html } from "../html.js";
import type { LogLine } from "../runlog.js";
import type { RunRecord } from "../../store/store.js";
import { csrfField, outcomeBadge, type PageUser, when } from "./layout.js";

export function runBody(r: RunRecord, lines: readonly LogLine[], user: PageUser, cancellable: boolean): Html {
  const after = lines.length ? lines[lines.length - 1]!.seq : 0;
  return html`<div class="card">
<table id="run-facts"><tbody>
<tr><th>Verb</th><td>${r.verb} · <a href="/history?env=${r.env}">${r.env}</a></td></tr>
<tr><th>Release</th><td class="mono">${r.releaseId ?? "–"} ${r.commit ? html`(${r.commit.slice(0, 12)})` : ""}</td></tr>
<tr><th>By</th><td>${r.by}</td></tr>
<tr><th>Started</th><td>${when(r.startedAt)}</td></tr>
<tr><th>Outcome</th><td><span id="run-status">${outcomeBadge(r.outcome)}</span>${r.durationMs !== null ? ` in ${(r.durationMs / 1000).toFixed(1)} s` : ""}</td></tr>
</tbody></table>
${
  cancellable && user.role === "deployer"
    ? html`<form id="cancel-form" method="post" action="/runs/${r.id}/cancel">${csrfField(user.csrf)}<p>Cancelling stops the run as Ctrl-C would: it cleans up and releases the lock. <button type="submit" class="danger">Cancel this run</button></p></form>`
    : ""
}
</div>
<pre class="log" id="live-log" data-stream="/api/runs/${r.id}/stream?after=${after}">${lines.map((l) => `${l.text}\n`)}</pre>`;
}
