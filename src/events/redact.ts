/** Secrets are redacted once, in the event bus, so no renderer, log or store can forget to. */

const MASK = "[REDACTED]";

export type Redactor = (text: string) => string;

export function makeRedactor(secrets: Iterable<string>): Redactor {
  // Longest first so a secret that contains another is masked whole. Very short values
  // would mask ordinary words, so they are ignored (and documented as too weak to protect).
  const values = [...new Set([...secrets].filter((s) => s.length >= 4))].sort((a, b) => b.length - a.length);
  if (values.length === 0) return (t) => t;
  return (text) => {
    let out = text;
    for (const v of values) if (out.includes(v)) out = out.split(v).join(MASK);
    return out;
  };
}

/** Redact every string inside a JSON-like value. */
export function redactDeep<T>(value: T, redact: Redactor): T {
  if (typeof value === "string") return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, redact)) as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, redact)])) as T;
  }
  return value;
}
