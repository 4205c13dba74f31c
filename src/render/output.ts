/** Data a verb prints on stdout goes through the same redactor as events, and text through the terminal sanitiser. */
import { redactDeep, type Redactor } from "../events/redact.js";
import { sanitizeTerminal } from "./sanitize.js";

export interface Output {
  /** One JSON document (one line): redacted value by value, so escaping cannot hide a secret. */
  data(value: unknown): void;
  /** Human text: redacted, then control characters made visible. */
  text(text: string): void;
}

export function makeOutput(redact: Redactor, out: NodeJS.WritableStream = process.stdout): Output {
  return {
    data: (value) => void out.write(JSON.stringify(redactDeep(value, redact)) + "\n"),
    text: (text) => void out.write(sanitizeTerminal(redact(text))),
  };
}

/** Output for verbs without an environment (no secrets loaded): text still made terminal-safe. */
export const plainOutput = (out: NodeJS.WritableStream = process.stdout): Output => makeOutput((t) => t, out);
