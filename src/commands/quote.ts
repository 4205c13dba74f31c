/**
 * The one place where a value becomes shell text. Every builder goes through `shq`,
 * so hostile values (quotes, `$()`, `;`, newlines) reach the remote shell as plain data.
 */

/** Single-quote a value for POSIX sh/bash; safe for any byte string except NUL. */
export function shq(value: string): string {
  if (value.includes("\0")) throw new Error("a shell argument cannot contain a NUL byte");
  if (value !== "" && /^[A-Za-z0-9_\-+=.,/:@%^]+$/.test(value)) return value;
  return "'" + value.replace(/'/g, "'\\''") + "'";
}

/** Join argv into a command line, quoting every element. */
export function argv(...args: string[]): string {
  return args.map(shq).join(" ");
}

/** `a && b && c` — for command fragments already built by `argv`/builders. */
export function and(...cmds: string[]): string {
  return cmds.filter(Boolean).join(" && ");
}

/** `a | b` */
export function pipe(...cmds: string[]): string {
  return cmds.join(" | ");
}

/** Environment variable names we are willing to export; anything else is a config error. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `export K='v'` lines; names are validated, values quoted. */
export function exportLine(name: string, value: string): string {
  if (!ENV_NAME.test(name)) throw new Error(`invalid environment variable name: ${JSON.stringify(name)}`);
  return `export ${name}=${shq(value)}`;
}

/**
 * Quote a remote path. A leading `~/` becomes `"$HOME"/...` so it still expands on the host;
 * the rest is quoted like any value.
 */
export function shPath(p: string): string {
  if (p === "~") return '"$HOME"';
  if (p.startsWith("~/")) return `"$HOME"/${shq(p.slice(2))}`;
  return shq(p);
}
