/** The live view as data: a fake terminal stream records what it is sent. */
import { describe, expect, it } from "vitest";
import type { SlipwayEvent, Timed } from "../../../src/events/types.js";
import { colorEnabled } from "../../../src/render/color.js";
import { TtyRenderer } from "../../../src/render/tty.js";

function term(rows?: number) {
  const chunks: string[] = [];
  const out = { isTTY: true, rows, columns: 200, write: (s: string) => chunks.push(s) > 0 } as unknown as NodeJS.WriteStream;
  return { out, text: () => chunks.join("") };
}
const ev = (e: SlipwayEvent): Timed<SlipwayEvent> => ({ ...e, ts: "t" });
const strip = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");

function run(n: number, rows: number | undefined, color = true) {
  const t = term(rows);
  const r = new TtyRenderer(t.out, { color, hosts: n });
  const hosts = Array.from({ length: n }, (_, i) => `web${i + 1}`);
  r.handle(ev({ type: "phase:start", phase: "build", hosts }));
  for (const h of hosts) r.handle(ev({ type: "host:phase", host: h, phase: "build", status: "running" }));
  for (const h of hosts) r.handle(ev({ type: "host:phase", host: h, phase: "build", status: h === "web7" || h === "web9" ? "failed" : "done" }));
  r.handle(ev({ type: "run:end", ok: false, summary: ["2 hosts failed"], durationMs: 1000 }));
  r.close();
  return t.text();
}

describe("TtyRenderer", () => {
  it("aggregates per phase beyond the screen (rows - 4), naming the failed hosts", () => {
    const text = strip(run(50, 30));
    expect(text).toMatch(/✖ build 48\/50 · 2 failed: web7, web9 · \d+\.\ds\n/);
    expect(text).not.toMatch(/web12 +build/);
    expect(text).toMatch(/elapsed \d+\.\ds/);
  });
  it("shows a line per host when they fit; more than 20 without a known height aggregates", () => {
    expect(strip(run(10, 30))).toMatch(/✖ web7 +build/);
    expect(strip(run(21, undefined))).toMatch(/build 19\/21/);
    expect(strip(run(20, undefined))).toMatch(/✔ web20 +build/);
  });
  it("ends with the final frame once, then the summary, and nothing after it", () => {
    const text = strip(run(3, 30));
    const end = text.indexOf("FAILED after");
    expect(text.slice(end)).toBe("FAILED after 1.0s\n2 hosts failed\n");
    expect(text.slice(0, end)).toMatch(/✔ web3 +build +\n$/);
  });
  it("without colour sends no SGR codes, only cursor movement", () => {
    const text = run(3, 30, false);
    expect(text).not.toMatch(/\x1b\[[0-9;]*m/);
    expect(text).toMatch(/\x1b\[\d+A\x1b\[0J/);
  });
  it("colour needs a terminal and neither --no-color nor a non-empty NO_COLOR", () => {
    expect(colorEnabled({ isTTY: true }, false, {})).toBe(true);
    expect(colorEnabled({ isTTY: true }, false, { NO_COLOR: "" })).toBe(true);
    expect(colorEnabled({ isTTY: true }, false, { NO_COLOR: "1" })).toBe(false);
    expect(colorEnabled({ isTTY: true }, true, {})).toBe(false);
    expect(colorEnabled({ isTTY: false }, false, {})).toBe(false);
  });
});
