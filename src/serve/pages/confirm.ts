/** The confirmation step of an action: what it will do (the CLI's own plan), then Confirm or go back. */
import { type Html, html } from "../html.js";
import { csrfField, type PageUser } from "./layout.js";

export function confirmBody(
  env: string,
  action: string,
  summary: string,
  planText: string | null,
  fields: Record<string, string>,
  user: PageUser,
  problem: string | null,
): Html {
  return html`<div class="card">
<p><strong>This will ${summary}.</strong></p>
${planText !== null ? html`<h2>Plan</h2><pre class="log" id="plan">${planText}</pre>` : ""}
${problem ? html`<div class="error" role="alert">${problem}</div>` : ""}
<form method="post" action="/env/${env}/actions/${action}">
${csrfField(user.csrf)}
${Object.entries(fields).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}
<input type="hidden" name="confirm" value="yes">
${problem ? "" : html`<button type="submit" id="confirm">Confirm: ${action}</button>`} <a href="/">Back</a>
</form>
</div>`;
}

export function resultBody(summary: string, ok: boolean, output: string): Html {
  return html`<div class="card">
<p>${ok ? html`<span class="badge ok">done</span>` : html`<span class="badge bad">failed</span>`} ${summary}</p>
${output ? html`<pre class="log" id="result">${output}</pre>` : ""}
<p><a href="/">Back to the overview</a></p>
</div>`;
}
