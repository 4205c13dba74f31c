/** The schedules table: every value escaped (names, refs and a refusal's text come from config and hosts). */
import { describe, expect, it } from "vitest";
import { schedulesBody } from "../../../src/serve/pages/schedules.js";
import type { ScheduleView } from "../../../src/serve/scheduler.js";

const view: ScheduleView = {
  name: "weekly",
  env: "prod",
  cron: "0 10 * * 2",
  timezone: "Europe/Berlin",
  ref: "<script>x</script>",
  component: null,
  next: "2026-03-31T08:00:00.000Z",
  lastSlot: "2026-03-24T09:00:00.000Z",
  last: { slot: "2026-03-24T09:00:00.000Z", outcome: "skipped", runId: 3, at: "2026-03-24T09:00:02.000Z", detail: 'lock held by ada: "<b>db</b>"' },
  missed: ["2026-03-17T09:00:00.000Z"],
};

describe("schedulesBody", () => {
  it("shows the next slot, the last result and missed slots, escaping every value", () => {
    const h = schedulesBody([view]).text;
    expect(h).toContain("<td>weekly</td>");
    expect(h).toContain("&lt;script&gt;x&lt;/script&gt;");
    expect(h).not.toContain("<script>");
    expect(h).toContain('<span class="badge bad">skipped</span>');
    expect(h).toContain(`<a href="/runs/3">run #3</a>`);
    expect(h).toContain("&quot;&lt;b&gt;db&lt;/b&gt;&quot;");
    expect(h).toContain('<time datetime="2026-03-31T08:00:00.000Z"');
    expect(h).toContain("1 missed");
  });

  it("says what to do when there are no schedules, and 'never run' before a first slot", () => {
    expect(schedulesBody([]).text).toContain("No schedules");
    expect(schedulesBody([{ ...view, last: null, missed: [] }]).text).toMatch(/never run[\s\S]*none/);
  });
});
