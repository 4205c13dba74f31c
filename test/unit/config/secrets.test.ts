/** The encrypted secrets file: AES-256-GCM round trip, and clear errors for a wrong key or a changed file. */
import { describe, expect, it } from "vitest";
import { decrypt, encrypt, generateKey } from "../../../src/config/secrets.js";

describe("secrets file", () => {
  it("round-trips, and never holds the plaintext", () => {
    const key = generateKey();
    const box = encrypt("DB_PASSWORD: s3cr3t-value\n", key);
    expect(box).not.toContain("s3cr3t");
    expect(decrypt("f", box, key)).toBe("DB_PASSWORD: s3cr3t-value\n");
  });

  it("refuses a wrong key, a changed file and a malformed key", () => {
    const box = encrypt("A: b\n", generateKey());
    expect(() => decrypt("f", box, generateKey())).toThrow(/cannot decrypt \(wrong key, or the file was changed\)/);
    const j = JSON.parse(box);
    j.data = Buffer.from("tampered").toString("base64");
    expect(() => decrypt("f", JSON.stringify(j), generateKey())).toThrow(/cannot decrypt/);
    expect(() => decrypt("f", "not json", generateKey())).toThrow(/not a slipway secrets file/);
    expect(() => encrypt("x", "c2hvcnQ=")).toThrow(/expected 32 bytes/);
  });
});
