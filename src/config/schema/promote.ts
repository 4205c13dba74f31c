/** `environments.<env>.staging_branch`: the branch `slipway <env> cut` points at a stable commit. */
import { z } from "zod";

export const stagingBranchSchema = z
  .string()
  .regex(/^(?![-./])(?!.*\.\.)(?!.*\/\/)(?!.*@\{)[A-Za-z0-9._/-]{1,200}(?<![./])(?<!\.lock)$/, {
    error: "expected a branch name (letters, digits, . _ / -; not starting with - or ending with .lock)",
  })
  .optional()
  .describe("The branch `slipway <env> cut --from main` points at a stable commit (fast-forward only) and pushes, e.g. staging.");
