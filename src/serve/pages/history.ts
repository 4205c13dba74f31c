/** History with filters: environment, verb, outcome, who. */
import { type Html, html } from "../html.js";
import type { RunRecord } from "../../store/store.js";
import { runTable } from "./overview.js";

export interface HistoryFilters {
  env: string;
  verb?: string;
  outcome?: string;
  by?: string;
}

export function historyBody(envs: readonly string[], f: HistoryFilters, runs: readonly RunRecord[]): Html {
  const opt = (value: string, label: string, selected: boolean) => html`<option value="${value}"${selected ? html` selected` : ""}>${label}</option>`;
  return html`<form class="filters" method="get" action="/history">
<label>Environment <select name="env">${envs.map((e) => opt(e, e, e === f.env))}</select></label>
<label>Verb <input type="text" name="verb" value="${f.verb ?? ""}" placeholder="deploy"></label>
<label>Outcome <select name="outcome">${opt("", "any", !f.outcome)}${opt("ok", "ok", f.outcome === "ok")}${opt("failed", "failed", f.outcome === "failed")}</select></label>
<label>By <input type="text" name="by" value="${f.by ?? ""}" placeholder="user@host"></label>
<button type="submit">Filter</button>
</form>
${runTable(runs)}`;
}
