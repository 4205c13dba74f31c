/** The schedules page's table (the page route wraps it in `page()`): next slot, last result, missed slots. */
import { type Html, html } from "../html.js";
import type { ScheduleView } from "../scheduler.js";
import { outcomeBadge, when } from "./layout.js";

function lastCell(s: ScheduleView): Html {
  const l = s.last;
  if (!l) return html`<span class="muted">never run</span>`;
  const run = l.runId ? html` <a href="/runs/${String(l.runId)}">run #${String(l.runId)}</a>` : "";
  return html`${outcomeBadge(l.outcome === "running" ? null : l.outcome)}${run} <span class="muted">slot</span> ${when(l.slot)}${
    l.detail ? html`<div class="detail">${l.detail.split("\n").at(-1)}</div>` : ""
  }`;
}

function missedCell(s: ScheduleView): Html {
  if (!s.missed.length) return html`<span class="muted">none</span>`;
  return html`<span class="badge bad">${String(s.missed.length)} missed</span> <span class="muted">last</span> ${when(s.missed.at(-1))}`;
}

/** The table of schedules: escaped throughout (names, refs and a refusal's text come from config and hosts). */
export function schedulesBody(list: readonly ScheduleView[]): Html {
  if (!list.length) return html`<p class="muted">No schedules: add a <code>schedule:</code> list to slipway.yml.</p>`;
  return html`<table class="schedules">
<thead><tr><th>Schedule</th><th>Environment</th><th>When</th><th>Ref</th><th>Next run</th><th>Last result</th><th>Missed</th></tr></thead>
<tbody>
${list.map(
  (s) => html`<tr>
<td>${s.name}</td>
<td>${s.env}${s.component ? html` <span class="muted">${s.component}</span>` : ""}</td>
<td><code>${s.cron}</code> <span class="muted">${s.timezone}</span></td>
<td>${s.ref ?? html`<span class="muted">config ref</span>`}</td>
<td>${when(s.next)}</td>
<td>${lastCell(s)}</td>
<td>${missedCell(s)}</td>
</tr>
`,
)}</tbody>
</table>`;
}
