/**
 * The frame every dashboard page shares: navigation, who is logged in, the logout form and the
 * CSRF token the page's forms and scripts send back. Assets come from the package (/assets/...),
 * never a CDN: the machine that runs `slipway serve` may have no internet.
 */
import type { FastifyReply } from "fastify";
import { type Html, html } from "../html.js";

/**
 * Every HTML answer: never cached (it shows live state and a CSRF token), never framed (no
 * clickjacking of the action buttons), and only this server's own script and styles may run.
 */
export function htmlHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .type("text/html; charset=utf-8")
    .header("cache-control", "no-store")
    .header("x-frame-options", "DENY")
    .header(
      "content-security-policy",
      "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
    );
}

export interface PageUser {
  name: string;
  role: string;
  /** The session's CSRF token: every form carries it, scripts send it as x-csrf-token. */
  csrf: string;
}

export interface PageOptions {
  title: string;
  user: PageUser;
  app: string;
  /** Which navigation entry is this page's. */
  nav?: "overview" | "history" | "metrics" | "schedules";
  body: Html;
  /** Refresh the page's content every this many seconds (live state: the overview). */
  refreshSeconds?: number;
}

const NAV: [NonNullable<PageOptions["nav"]>, string, string][] = [
  ["overview", "/", "Overview"],
  ["history", "/history", "History"],
  ["metrics", "/metrics", "Metrics"],
  ["schedules", "/schedules", "Schedules"],
];

export function page(o: PageOptions): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${o.user.csrf}">
<title>${o.title} · ${o.app} · Slipway</title>
<link rel="stylesheet" href="/assets/app.css">
<script src="/assets/app.js" defer></script>
</head>
<body${o.refreshSeconds ? html` data-refresh="${o.refreshSeconds}"` : ""}>
<header class="top">
  <a class="brand" href="/">Slipway · ${o.app}</a>
  <nav>${NAV.map(([k, href, label]) => html`<a href="${href}"${k === o.nav ? html` aria-current="page"` : ""}>${label}</a>`)}</nav>
  <form class="who" method="post" action="/logout">${csrfField(o.user.csrf)}<span>${o.user.name} (${o.user.role})</span> <button type="submit">Log out</button></form>
</header>
<main>
<h1>${o.title}</h1>
${o.body}
</main>
</body>
</html>`;
}

export function csrfField(csrf: string): Html {
  return html`<input type="hidden" name="_csrf" value="${csrf}">`;
}

/** A relative time an operator reads at a glance, with the exact instant on hover. */
export function when(iso: string | null | undefined): Html {
  if (!iso) return html`<span class="muted">–</span>`;
  return html`<time datetime="${iso}" title="${iso}">${iso.replace("T", " ").replace(/\.\d+Z$|Z$/, " UTC")}</time>`;
}

export function outcomeBadge(outcome: string | null): Html {
  const o = outcome ?? "running";
  const cls = o === "ok" || o === "succeeded" ? "ok" : o === "running" ? "run" : "bad";
  return html`<span class="badge ${cls}">${o}</span>`;
}
