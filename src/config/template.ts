/** `{{ NAME }}` templates for settings files: plain substitution, and an error naming every unknown name. */
import { readFileSync } from "node:fs";
import { UsageError } from "../errors.js";

export interface Rendered {
  text: string;
  /** Names of secrets the file uses: such files are written 0600. */
  usedSecrets: string[];
}

export function renderTemplate(file: string, text: string, vars: Record<string, string>, secretNames: Set<string>): Rendered {
  const missing = new Set<string>();
  const used = new Set<string>();
  const out = text.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}/g, (m, name: string) => {
    if (!(name in vars)) {
      missing.add(name);
      return m;
    }
    if (secretNames.has(name)) used.add(name);
    return vars[name]!;
  });
  if (missing.size) throw new UsageError(`${file}: unknown template variable(s) ${[...missing].join(", ")} (define them in vars, secret_env or secrets_file)`);
  return { text: out, usedSecrets: [...used] };
}

export function renderFile(file: string, vars: Record<string, string>, secretNames: Set<string>): Rendered {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`config_files: cannot read template ${file}: ${(e as Error).message}`);
  }
  return renderTemplate(file, text, vars, secretNames);
}
