import { describe, expect, it } from "vitest";
import { planAction } from "../../../src/serve/actions.js";
import { ASSETS } from "../../../src/serve/assets.js";
import { escapeHtml, html, raw } from "../../../src/serve/html.js";
import { safeNext } from "../../../src/serve/routes/login.js";
import { logLines } from "../../../src/serve/runlog.js";
import { csrfMatches, SessionStore } from "../../../src/serve/sessions.js";
import type { TokenRecord } from "../../../src/store/store.js";

const token: TokenRecord = { name: "t", role: "deployer", hash: "a".repeat(64), createdAt: "x", createdBy: "y", revokedAt: null };

describe("html", () => {
  it("escapes every interpolated value, nested templates and raw pass through", () => {
    const evil = `<script>alert("x")</script>' \` &`;
    expect(html`<p title="${evil}">${evil}</p>`.text).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; &#96; &amp;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; &#96; &amp;</p>',
    );
    expect(html`<ul>${["<a>", html`<li>${"<b>"}</li>`]}</ul>`.text).toBe("<ul>&lt;a&gt;<li>&lt;b&gt;</li></ul>");
    expect(html`${null}${undefined}${false}${0}${raw("<svg/>")}`.text).toBe("0<svg/>");
    expect(escapeHtml("a&b")).toBe("a&amp;b");
  });
});

describe("actions", () => {
  it("builds argv with --flag=value so no value can become an option", () => {
    const d = planAction("prod", "deploy", { ref: "v1.2", message: "--force everything" });
    expect(d).toMatchObject({
      ok: true,
      plan: { args: ["deploy", "--ref=v1.2", "--message=--force everything"], planArgs: ["deploy", "--plan", "--ref=v1.2"], long: true },
    });
    expect(planAction("prod", "deploy", { ref: "", message: "" })).toMatchObject({ ok: true, plan: { args: ["deploy"] } });
    expect(planAction("prod", "lock", { message: "db" })).toMatchObject({
      ok: true,
      plan: { args: ["lock", "acquire", "--message=db"], planArgs: null, long: false },
    });
  });

  it("refuses hostile or malformed fields, naming the field", () => {
    for (const ref of ["-x", "--upload-pack=x", "a..b", "$(id)", "a;b", "a b", "../x", "a\nb", "x".repeat(201)])
      expect(planAction("prod", "deploy", { ref }), ref).toMatchObject({ ok: false, error: expect.stringMatching(/^ref: /) });
    expect(planAction("prod", "deploy", { message: "a\nb" })).toMatchObject({ ok: false, error: expect.stringMatching(/^message: /) });
    expect(planAction("prod", "rollback", { release: "-f" })).toMatchObject({ ok: false, error: expect.stringMatching(/^release: expected a release id/) });
    expect(planAction("prod", "lock", {})).toMatchObject({ ok: false, error: expect.stringMatching(/^message: /) });
    expect(planAction("prod", "task", { id: "--all", note: "x" })).toMatchObject({ ok: false, error: expect.stringMatching(/^id: /) });
  });
});

describe("login", () => {
  it("follows only paths on this server after login", () => {
    expect(safeNext("/history?env=prod")).toBe("/history?env=prod");
    for (const bad of ["//evil.example", "/\\evil.example", "https://evil.example", "javascript:alert(1)", "", 5, undefined, "/a b"])
      expect(safeNext(bad)).toBe("/");
  });
});

describe("sessions", () => {
  it("expire, are looked up by exact id only, and evict the oldest beyond the limit", () => {
    let now = 0;
    const s = new SessionStore({ ttlMs: 1000, max: 2, now: () => now });
    const a = s.create(token);
    expect(s.get(a.id)).toBe(a);
    expect(s.get(`${a.id.slice(0, -1)}x`)).toBeNull();
    expect(s.get("../../etc")).toBeNull();
    const b = s.create(token);
    s.create(token);
    expect(s.get(a.id)).toBeNull();
    expect(s.get(b.id)).toBe(b);
    now = 1000;
    expect(s.get(b.id)).toBeNull();
  });

  it("CSRF tokens compare exactly", () => {
    const s = new SessionStore({ ttlMs: 1000 }).create(token);
    expect(csrfMatches(s, s.csrf)).toBe(true);
    expect(csrfMatches(s, `${s.csrf}x`)).toBe(false);
    expect(csrfMatches(s, undefined)).toBe(false);
    expect(csrfMatches(s, [s.csrf])).toBe(false);
  });
});

describe("runlog", () => {
  it("renders events as -v lines and reports an unreadable one instead of throwing", () => {
    const lines = logLines([
      { seq: 1, ts: "2026-12-03T10:00:00.000Z", json: JSON.stringify({ type: "info", message: "hello", ts: "2026-12-03T10:00:00.000Z" }) },
      { seq: 2, ts: "2026-12-03T10:00:01.000Z", json: "{not json" },
      { seq: 3, ts: "2026-12-03T10:00:01.000Z", json: JSON.stringify({ nothing: 1 }) },
    ]);
    expect(lines).toEqual([
      { seq: 1, text: "10:00:00 hello" },
      { seq: 2, text: "(event 2 is not readable JSON)" },
    ]);
  });
});

describe("assets", () => {
  it("the page script is valid JavaScript (it is a string in a TS file: nothing else would catch a broken escape)", () => {
    expect(() => new Function(ASSETS["app.js"]!.body)).not.toThrow();
    expect(ASSETS["app.css"]!.body).toContain("pre.log");
  });
});
