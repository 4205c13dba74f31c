/** known_hosts decisions on real keys made by ssh-keygen: what accept-new may record, and the algorithm order we offer. */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fingerprint, preferredHostKeyAlgorithms, verifyHostKey } from "../../../../src/exec/ssh/known-hosts.js";
import { tmpdir } from "../../../helpers.js";

/** A fresh public key: its known_hosts type, base64 and blob. */
function key(type: "ed25519" | "ecdsa" | "rsa"): { type: string; b64: string; blob: Buffer } {
  const f = path.join(tmpdir(), "k");
  execFileSync("ssh-keygen", ["-q", "-t", type, ...(type === "rsa" ? ["-b", "2048"] : []), "-N", "", "-f", f]);
  const [t, b64] = readFileSync(`${f}.pub`, "utf8").split(" ") as [string, string];
  return { type: t, b64, blob: Buffer.from(b64, "base64") };
}

const ecdsa = key("ecdsa");
const ed = key("ed25519");
const rsa = key("rsa");
const NAME = "[10.0.0.7]:2222";

function knownHosts(...lines: string[]): string {
  const f = path.join(tmpdir(), "known_hosts");
  writeFileSync(f, lines.map((l) => l + "\n").join(""));
  return f;
}

describe("verifyHostKey with accept-new", () => {
  it("refuses a key of a type not on file when the host has another key on file, as a changed key", () => {
    const kh = knownHosts(`${NAME} ${ecdsa.type} ${ecdsa.b64}`);
    const v = verifyHostKey(kh, "10.0.0.7", 2222, ed.blob, "accept-new", "web1");
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.reason).toBe("changed");
    expect(v.message).toContain(`web1: HOST KEY CHANGED for ${NAME}: it offered ssh-ed25519 ${fingerprint(ed.blob)}`);
    expect(v.message).toContain(`${kh}:1 lists only ecdsa-sha2-nistp256`);
    // Nothing was recorded: the next connection is refused again.
    expect(readFileSync(kh, "utf8").split("\n").filter(Boolean)).toHaveLength(1);
  });

  it("names every known type, and refuses under strict too", () => {
    const kh = knownHosts(`${NAME} ${ecdsa.type} ${ecdsa.b64}`, `${NAME} ${rsa.type} ${rsa.b64}`);
    const v = verifyHostKey(kh, "10.0.0.7", 2222, ed.blob, "strict", "web1");
    expect(v).toMatchObject({ ok: false, reason: "changed" });
    expect(!v.ok && v.message).toContain("lists only ecdsa-sha2-nistp256, ssh-rsa for it");
  });

  it("still records the key of a host with nothing on file, and accepts it afterwards", () => {
    const kh = knownHosts(`other.example ${ecdsa.type} ${ecdsa.b64}`);
    expect(verifyHostKey(kh, "10.0.0.7", 2222, ed.blob, "accept-new", "web1")).toEqual({ ok: true, added: true });
    expect(readFileSync(kh, "utf8")).toContain(`${NAME} ssh-ed25519 ${ed.b64}`);
    expect(verifyHostKey(kh, "10.0.0.7", 2222, ed.blob, "strict", "web1")).toEqual({ ok: true });
  });

  it("a revoked key on file does not make a new type 'changed' (it is no key for the host)", () => {
    const kh = knownHosts(`@revoked ${NAME} ${ecdsa.type} ${ecdsa.b64}`);
    expect(verifyHostKey(kh, "10.0.0.7", 2222, ed.blob, "accept-new", "web1")).toEqual({ ok: true, added: true });
  });
});

describe("preferredHostKeyAlgorithms", () => {
  it("is ssh2's default (undefined) when nothing is on file", () => {
    expect(preferredHostKeyAlgorithms(knownHosts(), "10.0.0.7", 2222)).toBeUndefined();
    expect(preferredHostKeyAlgorithms(path.join(tmpdir(), "missing"), "10.0.0.7", 2222)).toBeUndefined();
  });

  it("puts the known types first, then the rest in ssh2's order", () => {
    const kh = knownHosts(`${NAME} ${ecdsa.type} ${ecdsa.b64}`, `other ${ed.type} ${ed.b64}`);
    expect(preferredHostKeyAlgorithms(kh, "10.0.0.7", 2222)).toEqual([
      "ecdsa-sha2-nistp256",
      "ssh-ed25519",
      "ecdsa-sha2-nistp384",
      "ecdsa-sha2-nistp521",
      "rsa-sha2-512",
      "rsa-sha2-256",
      "ssh-rsa",
    ]);
  });

  it("an RSA key on file prefers every RSA signature algorithm", () => {
    const kh = knownHosts(`${NAME} ${rsa.type} ${rsa.b64}`);
    expect(preferredHostKeyAlgorithms(kh, "10.0.0.7", 2222)!.slice(0, 3)).toEqual(["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]);
  });
});
