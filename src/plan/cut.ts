/**
 * `cut`, pure part: what pointing the staging branch at a commit means — create it, leave it, move
 * it forward — or the refusal when that would rewrite its history (never forced).
 */
export type CutDecision = { action: "create" | "up-to-date" | "fast-forward" } | { refuse: string };

export function cutDecision(
  branch: string,
  old: string | null,
  target: string,
  /** `git merge-base --is-ancestor old target` */
  oldIsAncestor: boolean,
  /** `git merge-base old target` (null when they share no history) */
  mergeBase: string | null,
): CutDecision {
  if (old === null) return { action: "create" };
  if (old === target) return { action: "up-to-date" };
  if (oldIsAncestor) return { action: "fast-forward" };
  return {
    refuse:
      `${branch} is at ${old}, which is not an ancestor of ${target}: moving it would rewrite ${branch}'s history ` +
      `(git merge-base: ${mergeBase ?? "none, no common history"}). Cut a commit that contains ${old.slice(0, 12)} ` +
      `(merge ${branch} into the source branch first), or move ${branch} by hand if the rewrite is intended.`,
  };
}
