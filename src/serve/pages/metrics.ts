/**
 * The metrics page's body: per environment, the four DORA figures as small inline SVG charts (no
 * script, no external asset) with their totals, and links to the CSV and JSON export. Every text
 * goes through `html` (escaped); only path data and coordinates the code computed from numbers are
 * markup of our own (`raw`). The page route wraps this in `page()`.
 */
import { type Html, html, raw } from "../html.js";
import type { BucketFigures, EnvironmentMetrics } from "../metrics.js";

const W = 320;
const H = 132;
const PAD = { left: 44, right: 8, top: 10, bottom: 24 };
const plotW = W - PAD.left - PAD.right;
const plotH = H - PAD.top - PAD.bottom;

/** A duration as an operator reads it. */
export function duration(ms: number | null): string {
  if (ms === null) return "–";
  const min = ms / 60_000;
  if (min < 1) return `${Math.round(ms / 1000)} s`;
  if (min < 60) return `${Math.round(min)} min`;
  if (min < 48 * 60) return `${(min / 60).toFixed(1)} h`;
  return `${(min / 1440).toFixed(1)} d`;
}

const pct = (r: number | null) => (r === null ? "–" : `${Math.round(r * 100)}%`);
const day = (iso: string) => iso.slice(0, 10);
/** A coordinate with at most one decimal: path data stays short and made of digits only. */
const n = (x: number) => String(Math.round(x * 10) / 10);

interface Series {
  title: string;
  /** What the total under the title says. */
  total: string;
  kind: "bars" | "line";
  values: (number | null)[];
  /** An axis label for a value. */
  label: (v: number) => string;
  /** The axis's top when no value is above it (a rate's 100 %). */
  max?: number;
}

function chart(s: Series, buckets: readonly BucketFigures[]): Html {
  const known = s.values.filter((v): v is number => v !== null);
  const top = Math.max(s.max ?? 0, ...known, 0) || 1;
  const step = plotW / Math.max(1, buckets.length);
  const y = (v: number) => PAD.top + plotH - (v / top) * plotH;
  const tip = (b: BucketFigures, v: number | null) => `${day(b.start)}: ${v === null ? "no data" : s.label(v)}`;
  let marks: Html;
  if (s.kind === "bars") {
    marks = html`${buckets.map((b, i) => {
      const v = s.values[i] ?? null;
      const h = v === null ? 0 : (v / top) * plotH;
      return html`<rect x="${n(PAD.left + i * step + step * 0.1)}" y="${n(PAD.top + plotH - h)}" width="${n(Math.max(1, step * 0.8))}" height="${n(h)}"><title>${tip(b, v)}</title></rect>`;
    })}`;
  } else {
    // Known points joined across buckets without a value (their dots are missing, so the gap shows).
    const d = s.values
      .flatMap((v, i) => (v === null ? [] : [`${n(PAD.left + i * step + step / 2)} ${n(y(v))}`]))
      .map((p, i) => `${i ? "L" : "M"}${p}`)
      .join("");
    const dots = buckets.map((b, i) => {
      const v = s.values[i] ?? null;
      return v === null ? null : html`<circle cx="${n(PAD.left + i * step + step / 2)}" cy="${n(y(v))}" r="2"><title>${tip(b, v)}</title></circle>`;
    });
    marks = html`${d ? html`<path d="${raw(d)}" fill="none" stroke="currentColor" stroke-width="1.5"/>` : ""}${dots}`;
  }
  const first = buckets[0];
  const last = buckets.at(-1);
  return html`<figure class="chart">
<figcaption><strong>${s.title}</strong> <span class="muted">${s.total}</span></figcaption>
<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${s.title}" xmlns="http://www.w3.org/2000/svg">
<line x1="${PAD.left}" y1="${PAD.top + plotH}" x2="${W - PAD.right}" y2="${PAD.top + plotH}" stroke="currentColor" stroke-opacity="0.4"/>
<line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${PAD.top + plotH}" stroke="currentColor" stroke-opacity="0.4"/>
<text x="${PAD.left - 4}" y="${PAD.top + 8}" text-anchor="end" font-size="10">${s.label(top)}</text>
<text x="${PAD.left - 4}" y="${PAD.top + plotH}" text-anchor="end" font-size="10">${s.label(0)}</text>
${first ? html`<text x="${PAD.left}" y="${H - 6}" font-size="10">${day(first.start)}</text>` : ""}
${last ? html`<text x="${W - PAD.right}" y="${H - 6}" text-anchor="end" font-size="10">${day(last.start)}</text>` : ""}
<g fill="currentColor" color="#3b6ea8">${marks}</g>
</svg>
</figure>`;
}

/** The four charts of one environment, with its export links. */
function environment(m: EnvironmentMetrics): Html {
  const t = m.totals;
  const b = m.buckets;
  const q = (format: string) => `/api/environments/${encodeURIComponent(m.env)}/metrics?days=${m.days}&bucket=${m.bucket}&format=${format}`;
  const unknown = t.leadTime.unknown ? `, ${t.leadTime.unknown} without a commit time` : "";
  const open = t.timeToRestore.open ? `, ${t.timeToRestore.open} not restored` : "";
  return html`<section class="metrics" aria-label="${m.env}">
<h2>${m.env}</h2>
<p class="muted">${day(m.from)} to ${day(m.to)}, per ${m.bucket} (UTC) · export: <a href="${q("csv")}" download>CSV</a> · <a href="${q("json")}">JSON</a></p>
<div class="charts">
${chart({ title: "Deploy frequency", total: `${t.successfulDeploys} successful deploys`, kind: "bars", values: b.map((x) => x.successfulDeploys), label: (v) => String(Math.round(v)) }, b)}
${chart({ title: "Lead time for changes (median)", total: `median ${duration(t.leadTime.medianMs)}, p90 ${duration(t.leadTime.p90Ms)}${unknown}`, kind: "line", values: b.map((x) => x.leadTime.medianMs), label: duration }, b)}
${chart({ title: "Change failure rate", total: `${pct(t.changeFailureRate)} (${t.failedChanges} of ${t.deploys} deploys)`, kind: "bars", values: b.map((x) => x.changeFailureRate), label: pct, max: 1 }, b)}
${chart({ title: "Time to restore (median)", total: `median ${duration(t.timeToRestore.medianMs)}, p90 ${duration(t.timeToRestore.p90Ms)}${open}`, kind: "line", values: b.map((x) => x.timeToRestore.medianMs), label: duration }, b)}
</div>
</section>`;
}

/** The metrics page's content for every environment shown. */
export function metricsBody(data: readonly EnvironmentMetrics[]): Html {
  if (!data.length) return html`<p class="muted">No environments.</p>`;
  return html`${data.map(environment)}`;
}
