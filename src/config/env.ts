/**
 * The one order in which a command's environment is merged, later wins:
 * app env < host env < secrets < Slipway's own `SLIPWAY_*` variables.
 * So a host can override the app's PORT, a secret always beats a plain value of the same name,
 * and nothing in the config can fake what Slipway says about the run (SLIPWAY_RELEASE, ...).
 */
import type { Environment, Host } from "./resolve.js";

/** Merge the environment layers in the one documented order (see the file comment). */
export function mergeEnv(
  env: Pick<Environment, "env" | "secrets">,
  host: Pick<Host, "env"> | undefined,
  slipway: Record<string, string> = {},
): Record<string, string> {
  return { ...env.env, ...(host?.env ?? {}), ...env.secrets, ...slipway };
}
