/**
 * What the gates read from the hosts, folded into the state round trip a deploy or rollback makes anyway
 * (under the lock): each host's release digest against its files (hand-edits) and the primary's tasks.
 * A gate that finds its read missing (an older caller, a host without deploy_to) reads on its own.
 */
import { pathsFor } from "../../config/paths.js";
import { readDigests } from "../../commands/release.js";
import { listRecords } from "../../commands/records.js";
import { digestSkip } from "../../plan/deploy.js";
import type { RunContext } from "../context.js";
import type { StateExtras } from "../gather.js";

export const READS = { handEdits: "hand-edits", tasks: "tasks" } as const;

export function gateReads(ctx: RunContext, verb: "deploy" | "rollback"): StateExtras {
  const skip = digestSkip(ctx.env);
  return (h) => {
    const p = pathsFor(h.deployTo);
    return {
      [READS.handEdits]: readDigests(p, skip),
      ...(verb === "deploy" && h.name === ctx.env.primary.name ? { [READS.tasks]: listRecords(p, "tasks") } : {}),
    };
  };
}
