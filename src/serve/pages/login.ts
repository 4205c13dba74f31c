/** The login page: a token in a password field (never in the URL), and why the last try failed. */
import { html } from "../html.js";

export function loginPage(app: string, next: string, error?: string): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Log in · ${app} · Slipway</title><link rel="stylesheet" href="/assets/app.css"></head>
<body><main class="narrow">
<h1>Slipway · ${app}</h1>
${error ? html`<div class="error" role="alert">${error}</div>` : ""}
<form class="stack card" method="post" action="/login">
<input type="hidden" name="next" value="${next}">
<label for="token">API token</label>
<input type="password" id="token" name="token" autocomplete="current-password" required class="wide">
<p class="muted">Make one on the control machine: <code>slipway tokens create --name you --role deployer</code></p>
<button type="submit">Log in</button>
</form>
</main></body></html>`.text;
}
