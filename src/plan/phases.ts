/**
 * The fixed lifecycle. Phases inside one group run on a host in a single round trip; a group
 * boundary is a barrier where every host must have finished before any host goes on.
 */
export const DEPLOY_PHASES = ["check", "lock", "fetch", "link", "build", "migrate", "start", "switch", "cleanup", "restart", "verify", "unlock"] as const;
export type Phase = (typeof DEPLOY_PHASES)[number];

/**
 * Round-trip groups, in order. check/lock/unlock are driven by the engine itself. Cleanup rides
 * with the switch: it never removes the previous release, so a later switch-back stays possible.
 */
export const DEPLOY_GROUPS: Phase[][] = [["fetch", "link", "build"], ["migrate"], ["start"], ["switch", "cleanup"], ["restart", "verify"]];

/** Phases after which `current` already points at the new release. */
export const AFTER_SWITCH: ReadonlySet<string> = new Set(["restart", "verify"]);

export const PHASE_HELP: Record<Phase, string> = {
  check: "read each host's releases, current and lock; check tools",
  lock: "take the environment lock on the primary host",
  fetch: "put the resolved commit into releases/<id> and write its manifest",
  link: "link shared dirs and files into the release",
  build: "run build commands inside the release",
  migrate: "run migrate commands once, on the primary host",
  start: "start cutover services of the new release on an idle slot and wait until healthy (traffic still on the old one)",
  switch: "point current at the release (atomic rename) on every host",
  restart: "run restart commands",
  verify: "run verify commands; failure switches back",
  cleanup: "remove old and failed releases (never current or the rollback target)",
  unlock: "append the history entry and release the environment lock",
};
