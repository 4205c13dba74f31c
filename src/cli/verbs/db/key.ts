/** `--key FILE`: a private key read on this machine; its text is added to the session's redaction. */
import { readFileSync } from "node:fs";
import { UsageError } from "../../../errors.js";

export function readPrivateKey(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`--key: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (!/-----BEGIN (RSA |ENCRYPTED )?PRIVATE KEY-----/.test(text)) throw new UsageError(`--key: ${file} is not a PEM private key`);
  return text;
}
