/**
 * known_hosts, read the way OpenSSH reads it: plain and hashed (`|1|salt|hmac`) host patterns,
 * `[host]:port` for non-standard ports, wildcards and negation, `@revoked` markers.
 * Pure functions plus a tiny append for `accept-new`.
 */
import { createHash, createHmac } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";

export interface KnownKey {
  marker: "" | "@revoked" | "@cert-authority";
  type: string;
  key: Buffer;
  line: number;
}

/** The name a host is listed under: `host` on port 22, `[host]:port` otherwise. */
export function hostEntryName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** OpenSSH's `SHA256:...` fingerprint of a public key blob. */
export function fingerprint(blob: Buffer): string {
  return "SHA256:" + createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
}

/** The key type named inside an SSH public key blob (first length-prefixed string). */
export function blobType(blob: Buffer): string {
  if (blob.length < 4) return "unknown";
  const n = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + n).toString("latin1");
}

const globMatch = (pattern: string, name: string) =>
  new RegExp(
    "^" +
      pattern
        .replace(/[.+^${}()|\\[\]]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".") +
      "$",
    "i",
  ).test(name);

function patternMatches(patterns: string, name: string): boolean {
  if (patterns.startsWith("|1|")) {
    const [, , salt, hash] = patterns.split("|");
    if (!salt || !hash) return false;
    return createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64") === hash;
  }
  let matched = false;
  for (const p of patterns.split(",")) {
    if (p.startsWith("!")) {
      if (globMatch(p.slice(1), name)) return false;
    } else if (globMatch(p, name)) matched = true;
  }
  return matched;
}

/** Every key listed for `name` in known_hosts text. */
export function keysFor(text: string, name: string): KnownKey[] {
  const out: KnownKey[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    let fields = line.split(/\s+/);
    let marker: KnownKey["marker"] = "";
    if (fields[0] === "@revoked" || fields[0] === "@cert-authority") {
      marker = fields[0];
      fields = fields.slice(1);
    }
    const [patterns, type, b64] = fields;
    if (!patterns || !type || !b64) return;
    if (patternMatches(patterns, name)) out.push({ marker, type, key: Buffer.from(b64, "base64"), line: i + 1 });
  });
  return out;
}

export type HostKeyVerdict = { ok: true; added?: boolean } | { ok: false; reason: "unknown" | "changed" | "revoked"; message: string };

/**
 * Decide whether to trust `blob` for host:port. `accept-new` records the key of a host with no key
 * on file; a changed key (another key of the same type, or of a type not on file) or a revoked one
 * is always refused.
 */
export function verifyHostKey(file: string, host: string, port: number, blob: Buffer, policy: "strict" | "accept-new", label: string): HostKeyVerdict {
  const name = hostEntryName(host, port);
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  const keys = keysFor(text, name);
  const type = blobType(blob);
  const fp = fingerprint(blob);
  if (keys.some((k) => k.marker === "@revoked" && k.key.equals(blob))) {
    return { ok: false, reason: "revoked", message: `${label}: host key ${type} ${fp} for ${name} is marked @revoked in ${file}` };
  }
  const plain = keys.filter((k) => k.marker === "");
  if (plain.some((k) => k.key.equals(blob))) return { ok: true };
  const sameType = plain.filter((k) => k.type === type);
  if (sameType.length) {
    return {
      ok: false,
      reason: "changed",
      message:
        `${label}: HOST KEY CHANGED for ${name}: it offered ${type} ${fp}, but ${file}:${sameType[0]!.line} lists a different key. ` +
        `Someone may be intercepting the connection, or the host was reinstalled. Verify the new key, then remove the old line (ssh-keygen -R '${name}' -f ${file}).`,
    };
  }
  // Like OpenSSH: once any key is on file for the host, a key of another type is not "new" (an
  // attacker would simply offer a type we have not seen), so accept-new refuses it too.
  if (plain.length) {
    const types = [...new Set(plain.map((k) => k.type))].join(", ");
    return {
      ok: false,
      reason: "changed",
      message:
        `${label}: HOST KEY CHANGED for ${name}: it offered ${type} ${fp}, but ${file}:${plain[0]!.line} lists only ${types} for it. ` +
        `Someone may be intercepting the connection, or the host's keys changed. Verify the new key, then remove the old line(s) (ssh-keygen -R '${name}' -f ${file}) and add it.`,
    };
  }
  if (policy === "accept-new") {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    appendFileSync(file, `${name} ${type} ${blob.toString("base64")}\n`, { mode: 0o600 });
    return { ok: true, added: true };
  }
  return {
    ok: false,
    reason: "unknown",
    message:
      `${label}: unknown host key for ${name}: it offered ${type} ${fp}, which is not in ${file}. ` +
      `Verify the fingerprint, then add it (ssh-keyscan -p ${port} ${host} >> ${file}) or set ssh.host_key_checking: accept-new.`,
  };
}

/** ssh2's default host key algorithm order (lib/protocol/constants.js, Node 20 has ed25519). */
const SSH2_DEFAULT_HOST_KEY_ALGORITHMS = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "rsa-sha2-512",
  "rsa-sha2-256",
  "ssh-rsa",
] as const;
type HostKeyAlgorithm = (typeof SSH2_DEFAULT_HOST_KEY_ALGORITHMS)[number];

/** The signature algorithms that prove a key of known_hosts type `type` (an RSA key signs three ways). */
const algorithmsForType = (type: string): HostKeyAlgorithm[] =>
  type === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : SSH2_DEFAULT_HOST_KEY_ALGORITHMS.filter((a) => a === type);

/**
 * ssh2's `algorithms.serverHostKey` for host:port: the types already in known_hosts first, then the
 * rest in ssh2's order, as OpenSSH orders HostKeyAlgorithms. Without it a host with ecdsa on file
 * that also has ed25519 would negotiate ed25519 and be refused as a changed key. Undefined (ssh2's
 * defaults) when nothing is on file.
 */
export function preferredHostKeyAlgorithms(file: string, host: string, port: number): HostKeyAlgorithm[] | undefined {
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  const known = keysFor(text, hostEntryName(host, port)).filter((k) => k.marker === "");
  const first = [...new Set(known.flatMap((k) => algorithmsForType(k.type)))];
  if (!first.length) return undefined;
  return [...first, ...SSH2_DEFAULT_HOST_KEY_ALGORITHMS.filter((a) => !first.includes(a))];
}
