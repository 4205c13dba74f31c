/** Top-level help: static text, no imports, so it answers instantly. */
import { VERBS } from "./registry.js";

export function topHelp(): string {
  const label = (v: (typeof VERBS)[number]) => (v.needsEnv ? `<env> ${v.name}` : v.name);
  // One column for every verb, as wide as the longest name, so summaries line up.
  const width = Math.max(...VERBS.map((v) => label(v).length));
  const rows = (needsEnv: boolean) =>
    VERBS.filter((v) => v.needsEnv === needsEnv)
      .map((v) => `  ${label(v).padEnd(width)}  ${v.summary}`)
      .join("\n");
  return `slipway — atomic releases, rollback, locking and history for apps on your own servers

Usage:
  slipway [-c slipway.yml] <env> <verb> [args]
  slipway <verb> [args]

Verbs without an environment:
${rows(false)}

Verbs on an environment:
${rows(true)}

Global options:
  -c, --config <file>  config file (default: ./slipway.yml, or $SLIPWAY_CONFIG)
  --json               machine-readable output (NDJSON events / JSON data) on stdout
  -v, --verbose        show command output live and stack traces on errors
  --no-color           no colour in terminal output (also: NO_COLOR=1)
  -h, --help           help for slipway or for a verb (slipway production deploy --help)

Examples:
  slipway init
  slipway config validate
  slipway production deploy --plan
  slipway production deploy
  slipway production rollback
  slipway demo

Exit codes: 0 success, 1 operation failed, 2 usage or config error, 130 interrupted.
`;
}
