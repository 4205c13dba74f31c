/**
 * Encrypted secrets kept in the repository: AES-256-GCM (node:crypto), key outside the repository
 * ($SLIPWAY_SECRETS_KEY, or a key file). The plaintext is a YAML map NAME: value.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse } from "yaml";
import { UsageError } from "../errors.js";

export function generateKey(): string {
  return randomBytes(32).toString("base64");
}

function keyBytes(key: string): Buffer {
  const b = Buffer.from(key.trim(), "base64");
  if (b.length !== 32) throw new UsageError("secrets key: expected 32 bytes, base64 (make one with `slipway secrets keygen`)");
  return b;
}

export function encrypt(plaintext: string, key: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", keyBytes(key), iv);
  const data = Buffer.concat([c.update(plaintext, "utf8"), c.final()]);
  return JSON.stringify({ slipway_secrets: 1, iv: iv.toString("base64"), tag: c.getAuthTag().toString("base64"), data: data.toString("base64") }) + "\n";
}

export function decrypt(file: string, text: string, key: string): string {
  let box: { iv: string; tag: string; data: string };
  try {
    box = JSON.parse(text);
  } catch {
    throw new UsageError(`${file}: not a slipway secrets file`);
  }
  try {
    const d = createDecipheriv("aes-256-gcm", keyBytes(key), Buffer.from(box.iv, "base64"));
    d.setAuthTag(Buffer.from(box.tag, "base64"));
    return Buffer.concat([d.update(Buffer.from(box.data, "base64")), d.final()]).toString("utf8");
  } catch {
    throw new UsageError(`${file}: cannot decrypt (wrong key, or the file was changed)`);
  }
}

/** The key: $SLIPWAY_SECRETS_KEY, else the key file. */
export function readKey(keyFile: string | undefined, configDir: string, readEnv: (k: string) => string | undefined): string | undefined {
  const fromEnv = readEnv("SLIPWAY_SECRETS_KEY");
  if (fromEnv) return fromEnv;
  const f = path.resolve(configDir, (keyFile ?? "~/.config/slipway/secrets.key").replace(/^~(?=\/)/, os.homedir()));
  return existsSync(f) ? readFileSync(f, "utf8").trim() : undefined;
}

/** Decrypt and parse a secrets file into NAME → value. */
export function loadSecretsFile(file: string, key: string | undefined): Record<string, string> {
  if (!existsSync(file)) throw new UsageError(`secrets_file: ${file} not found`);
  if (!key) throw new UsageError(`secrets_file: no key (set SLIPWAY_SECRETS_KEY or create the key file)`);
  const map = parse(decrypt(file, readFileSync(file, "utf8"), key)) as unknown;
  if (!map || typeof map !== "object" || Array.isArray(map)) throw new UsageError(`${file}: expected a map of NAME: value`);
  return Object.fromEntries(Object.entries(map as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}
