/** Secrets are redacted once, in the event bus, so no renderer, log or store can forget to. */

export const MASK = "[REDACTED]";

export type Redactor = (text: string) => string;

/** Shorter values would mask ordinary words, so they are ignored (and documented as too weak to protect). */
const MIN_LENGTH = 4;

/**
 * The strings to mask for one secret: the whole value, and each line of a multi-line value on its
 * own, because host output reaches the bus one line at a time and diffs prefix every line.
 */
export function secretPieces(value: string): string[] {
  const pieces = [value];
  if (/[\r\n]/.test(value)) for (const line of value.split(/\r?\n|\r/)) pieces.push(line.trim());
  return pieces.filter((p) => p.length >= MIN_LENGTH);
}

export function makeRedactor(secrets: Iterable<string>): Redactor {
  // Longest first so a secret that contains another is masked whole.
  const values = [...new Set([...secrets].flatMap(secretPieces))].sort((a, b) => b.length - a.length);
  if (values.length === 0) return (t) => t;
  return (text) => {
    let out = text;
    for (const v of values) if (out.includes(v)) out = out.split(v).join(MASK);
    return out;
  };
}

/** Redact every string inside a JSON-like value (keys too: an env map's keys are names, but cheap to check). */
export function redactDeep<T>(value: T, redact: Redactor): T {
  if (typeof value === "string") return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, redact)) as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [redact(k), redactDeep(v, redact)])) as T;
  }
  return value;
}
