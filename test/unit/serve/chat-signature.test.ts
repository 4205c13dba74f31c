import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SlackVerifier, slackSignature } from "../../../src/serve/chat/signature.js";

const SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
const BODY = "token=x&team_id=T1&user_id=U1&user_name=ada&command=%2Fdeploy&text=prod+main&response_url=http%3A%2F%2F127.0.0.1%2Fr";
const T0 = 1_800_000_000;

function verifier(nowS = T0, max?: number) {
  let now = nowS * 1000;
  const v = new SlackVerifier({ secret: SECRET, now: () => now, maxRemembered: max });
  return { v, at: (s: number) => (now = s * 1000) };
}
const headers = (ts: string, sig: string) => ({ "x-slack-request-timestamp": ts, "x-slack-signature": sig });
const signed = (ts = String(T0), body = BODY) => headers(ts, slackSignature(SECRET, ts, body));

describe("slack signature", () => {
  it("is Slack's v0 scheme: hex HMAC-SHA256 of v0:ts:body", () => {
    const expected = createHmac("sha256", SECRET).update(`v0:${T0}:${BODY}`).digest("hex");
    expect(slackSignature(SECRET, String(T0), BODY)).toBe(`v0=${expected}`);
  });

  it("accepts a well-signed, fresh request once; the same request again is a replay", () => {
    const { v } = verifier();
    expect(v.verify(signed(), BODY)).toEqual({ ok: true });
    expect(v.verify(signed(), BODY)).toEqual({ ok: false, reason: "replayed request: this signature was already accepted" });
    // an upper-case copy of the same signature is the same signature
    const s = signed();
    expect(v.verify({ ...s, "x-slack-signature": s["x-slack-signature"].toUpperCase().replace("V0=", "v0=") }, BODY).ok).toBe(false);
  });

  it("refuses missing headers, duplicated headers, a non-numeric timestamp and malformed signatures", () => {
    const { v } = verifier();
    const good = signed();
    expect(v.verify({}, BODY)).toMatchObject({ ok: false, reason: expect.stringMatching(/^missing/) });
    expect(v.verify({ "x-slack-signature": good["x-slack-signature"] }, BODY)).toMatchObject({ ok: false, reason: expect.stringMatching(/^missing/) });
    expect(v.verify({ "x-slack-request-timestamp": good["x-slack-request-timestamp"] }, BODY).ok).toBe(false);
    expect(v.verify({ ...good, "x-slack-signature": [good["x-slack-signature"], good["x-slack-signature"]] }, BODY).ok).toBe(false);
    for (const ts of ["", "abc", "1e9", "-1", "0x10", `${T0}.5`, " ", "9".repeat(20), `${T0};rm`])
      expect(v.verify(headers(ts, slackSignature(SECRET, ts, BODY)), BODY), ts).toMatchObject({ ok: false });
    const hex = good["x-slack-signature"].slice(3);
    for (const sig of ["", "v0=", hex, `v1=${hex}`, `v0=${hex.slice(0, 63)}`, `v0=${hex}0`, `v0=${hex}00`, `v0=${"z".repeat(64)}`, `v0=${hex} x`])
      expect(v.verify(headers(String(T0), sig), BODY), sig).toMatchObject({ ok: false });
    // none of those was remembered, so the real one still passes
    expect(v.verify(good, BODY)).toEqual({ ok: true });
  });

  it("refuses a body altered by one byte, another secret, or another timestamp under the same signature", () => {
    const { v } = verifier();
    const good = signed();
    for (let i = 0; i < BODY.length; i += 7) {
      const altered = BODY.slice(0, i) + String.fromCharCode(BODY.charCodeAt(i) ^ 1) + BODY.slice(i + 1);
      expect(v.verify(good, altered)).toEqual({ ok: false, reason: "bad signature" });
    }
    expect(v.verify(good, `${BODY} `)).toEqual({ ok: false, reason: "bad signature" });
    expect(v.verify(headers(String(T0), slackSignature("other", String(T0), BODY)), BODY)).toEqual({ ok: false, reason: "bad signature" });
    expect(v.verify(headers(String(T0 + 1), good["x-slack-signature"]), BODY)).toEqual({ ok: false, reason: "bad signature" });
  });

  it("refuses a timestamp more than 5 minutes from the clock, either way", () => {
    const { v } = verifier();
    expect(v.verify(signed(String(T0 - 301)), BODY)).toMatchObject({ ok: false, reason: expect.stringMatching(/^stale request/) });
    expect(v.verify(signed(String(T0 + 301)), BODY)).toMatchObject({ ok: false, reason: expect.stringMatching(/^stale request/) });
    expect(v.verify(signed(String(T0 - 300)), BODY)).toEqual({ ok: true });
    expect(v.verify(signed(String(T0 + 300)), BODY)).toEqual({ ok: true });
  });

  it("a replay stays refused as the window moves on: first as a replay, then as stale", () => {
    const { v, at } = verifier();
    expect(v.verify(signed(), BODY).ok).toBe(true);
    at(T0 + 299);
    expect(v.verify(signed(), BODY)).toMatchObject({ reason: expect.stringMatching(/^replayed/) });
    at(T0 + 301);
    expect(v.verify(signed(), BODY)).toMatchObject({ reason: expect.stringMatching(/^stale/) });
  });

  it("remembers a bounded number of signatures: expired ones are dropped, and a full cache refuses rather than forgets", () => {
    const { v, at } = verifier(T0, 3);
    for (let i = 0; i < 3; i++) expect(v.verify(signed(String(T0), `${BODY}${i}`), `${BODY}${i}`).ok).toBe(true);
    expect(v.verify(signed(String(T0), `${BODY}x`), `${BODY}x`)).toMatchObject({ ok: false, reason: expect.stringMatching(/^too many/) });
    // the first three are still refused as replays
    expect(v.verify(signed(String(T0), `${BODY}0`), `${BODY}0`)).toMatchObject({ reason: expect.stringMatching(/^replayed/) });
    at(T0 + 400);
    expect(v.verify(signed(String(T0 + 400), `${BODY}x`), `${BODY}x`).ok).toBe(true);
    expect(v.size).toBe(1);
  });
});
