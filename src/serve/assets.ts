/**
 * The dashboard's stylesheet and script, compiled into the CLI bundle as strings: served from the
 * package itself (no CDN, no files to find next to the bundle), with a content hash as ETag.
 * Kept small on purpose: the pages are server-rendered and work without the script; it only adds
 * the live log (server-sent events) and the overview's auto-refresh.
 */
import { createHash } from "node:crypto";

const CSS = `
:root{--fg:#1d232a;--muted:#66707a;--line:#d9dee3;--bg:#f6f7f9;--card:#fff;--ok:#1f7a3a;--bad:#b3261e;--run:#8a5a00;--accent:#0b5cad}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header.top{display:flex;gap:1.5rem;align-items:center;padding:.6rem 1.2rem;background:#16202b;color:#fff}
header.top a{color:#cfe3ff;text-decoration:none}header.top a[aria-current]{color:#fff;font-weight:600;border-bottom:2px solid #fff}
header.top .brand{color:#fff;font-weight:700}header.top nav{display:flex;gap:1rem;flex:1}header.top .who{display:flex;gap:.5rem;align-items:center}
main{padding:1rem 1.2rem;max-width:1200px}main.narrow{max-width:32rem}input.wide{width:100%}h1{font-size:1.4rem;margin:.2rem 0 1rem}h2{font-size:1.1rem;margin:1.2rem 0 .5rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:.8rem 1rem;margin:0 0 1rem}
table{border-collapse:collapse;width:100%;background:var(--card)}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--muted);font-size:.85rem}code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85rem}
pre.log{background:#0f1419;color:#d8dee4;padding:.8rem;border-radius:6px;max-height:70vh;overflow:auto;white-space:pre-wrap;word-break:break-word}
.badge{display:inline-block;padding:0 .45rem;border-radius:9px;font-size:.8rem;font-weight:600;color:#fff}
.badge.ok{background:var(--ok)}.badge.bad{background:var(--bad)}.badge.run{background:var(--run)}.badge.muted{background:var(--muted)}
.muted{color:var(--muted)}.warn{color:var(--bad);font-weight:600}.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,620px),1fr));gap:1rem}
.env table.runs{display:block;overflow-x:auto}.actions{display:flex;flex-direction:column;gap:.4rem;margin:.6rem 0}
form.inline{display:inline}form.stack label{display:block;margin:.4rem 0 .2rem;font-weight:600}
input[type=text],input[type=password],select{padding:.3rem .4rem;border:1px solid var(--line);border-radius:4px;min-width:14rem}
button{padding:.3rem .8rem;border:1px solid var(--accent);background:var(--accent);color:#fff;border-radius:4px;cursor:pointer}
button.secondary{background:#fff;color:var(--accent)}button.danger{background:var(--bad);border-color:var(--bad)}
.error{background:#fdecea;border:1px solid #f5c2c0;color:var(--bad);padding:.6rem .8rem;border-radius:6px;margin-bottom:1rem}
.filters{display:flex;gap:.6rem;align-items:end;flex-wrap:wrap;margin-bottom:.8rem}.filters label{display:flex;flex-direction:column;font-size:.8rem;color:var(--muted)}
.metrics .charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:1rem}figure.chart{margin:0;background:var(--card);border:1px solid var(--line);border-radius:6px;padding:.6rem}
figure.chart svg{width:100%;height:auto}figure.chart figcaption{margin-bottom:.3rem}svg.chart{background:var(--card);border:1px solid var(--line);border-radius:6px}svg.chart text{font-size:10px;fill:var(--muted)}
`;

const JS = `
"use strict";
(function () {
  // The run page: follow the run's events as the server streams them (server-sent events).
  var log = document.getElementById("live-log");
  if (log && window.EventSource) {
    var status = document.getElementById("run-status");
    var es = new EventSource(log.getAttribute("data-stream"));
    es.addEventListener("line", function (m) {
      var d = JSON.parse(m.data);
      var atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
      log.appendChild(document.createTextNode(d.text + "\\n"));
      if (atEnd) log.scrollTop = log.scrollHeight;
    });
    es.addEventListener("stale", function (m) {
      if (status) { status.textContent = "unknown"; status.className = "badge muted"; }
      log.appendChild(document.createTextNode("(" + JSON.parse(m.data).message + ")\\n"));
      es.close();
    });
    es.addEventListener("end", function (m) {
      var d = JSON.parse(m.data);
      if (status) { status.textContent = d.outcome; status.className = "badge " + (d.outcome === "ok" ? "ok" : "bad"); }
      document.body.setAttribute("data-run-done", d.outcome);
      var c = document.getElementById("cancel-form");
      if (c) c.remove();
      es.close();
      // The run's row now has its release, outcome and duration: show them.
      fetch(location.href, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.text() : null; }).then(function (t) {
        if (!t) return;
        var fresh = new DOMParser().parseFromString(t, "text/html").querySelector("#run-facts"), old = document.getElementById("run-facts");
        if (fresh && old) old.replaceWith(fresh);
      });
    });
  }
  // Pages that show live state (overview) refresh themselves while visible.
  var every = document.body.getAttribute("data-refresh");
  if (every) {
    setInterval(function () {
      if (document.hidden) return;
      fetch(location.href, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.text() : null; }).then(function (t) {
        if (!t) return;
        var doc = new DOMParser().parseFromString(t, "text/html");
        var fresh = doc.querySelector("main"), old = document.querySelector("main");
        if (fresh && old) old.replaceWith(fresh);
      });
    }, Number(every) * 1000);
  }
})();
`;

export interface Asset {
  type: string;
  body: string;
  etag: string;
}

const asset = (type: string, body: string): Asset => ({ type, body, etag: `"${createHash("sha256").update(body).digest("hex").slice(0, 16)}"` });

export const ASSETS: Readonly<Record<string, Asset>> = {
  "app.css": asset("text/css; charset=utf-8", CSS),
  "app.js": asset("text/javascript; charset=utf-8", JS),
};
