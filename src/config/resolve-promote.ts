/** Promotion settings of an environment: the staging branch `cut` moves. */
import type { EnvironmentSpec } from "./resolve-hosts.js";

export const resolveStagingBranch = (env: EnvironmentSpec): string | null => env.staging_branch ?? null;
