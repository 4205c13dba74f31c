/**
 * `{{ NAME }}` is the one template syntax: settings files (an unknown name is an error) and service
 * commands and health checks (an unknown name is left for the shell). `${NAME}` in service commands
 * is the older spelling, still filled in but reported as deprecated.
 */
import { readFileSync } from "node:fs";
import { UsageError } from "../errors.js";

export interface Rendered {
  text: string;
  /** Names of secrets the file uses: such files are written 0600. */
  usedSecrets: string[];
}

/** `{{ NAME }}`. */
const TEMPLATE_VAR = /\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}/g;
/** `{{ NAME }}` or the deprecated `${NAME}`, matched in one pass so a filled-in value is never scanned again. */
const HOST_VAR = /\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** A filled-in command text and the names it used through the deprecated `${NAME}`. */
export interface Filled {
  text: string;
  legacy: string[];
}

/**
 * Fill `{{ NAME }}` (and the deprecated `${NAME}`) in a service command or health check from vars.
 * A name that is not a var stays as written: `${HOME}` is the shell's, `{{ .Names }}` docker's.
 */
export function fillVars(text: string, vars: Record<string, string>): Filled {
  const legacy = new Set<string>();
  const out = text.replace(HOST_VAR, (m, name: string | undefined, old: string | undefined) => {
    const k = name ?? old!;
    if (!Object.hasOwn(vars, k)) return m;
    if (old !== undefined) legacy.add(k);
    return vars[k]!;
  });
  return { text: out, legacy: [...legacy] };
}

/** The one warning for names used as `${NAME}` (null when none). */
export function legacyVarsWarning(names: Iterable<string>): string | null {
  const ks = [...new Set(names)].sort();
  if (!ks.length) return null;
  return `services: ${ks.map((k) => `\${${k}}`).join(", ")} in service commands and health checks is deprecated; write ${ks.map((k) => `{{ ${k} }}`).join(", ")} instead (same value)`;
}

export function renderTemplate(file: string, text: string, vars: Record<string, string>, secretNames: Set<string>): Rendered {
  const missing = new Set<string>();
  const used = new Set<string>();
  const out = text.replace(TEMPLATE_VAR, (m, name: string) => {
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
