/**
 * Promotion, pure part: which release and commit another environment runs, read from its hosts'
 * `current` and the release manifests. Only one answer is acceptable: every host on the same ok
 * release with a manifest naming a git commit. Anything else is a refusal saying what was found.
 */
import type { HostState } from "./state.js";

export interface PromotionSource {
  env: string;
  release: string;
  commit: string;
  ref: string;
  deployedBy: string;
  createdAt: string;
}

export function promotionSource(from: string, primary: string, states: Record<string, HostState>): PromotionSource | { refuse: string } {
  const p = states[primary];
  if (!p?.current) return { refuse: `${from} runs no release on its primary ${primary}: deploy ${from} first (slipway ${from} deploy)` };
  const disagree = Object.values(states).filter((st) => st.current !== p.current);
  if (disagree.length)
    return {
      refuse: `${from}'s hosts disagree: ${primary} runs ${p.current}, ${disagree.map((st) => `${st.host} runs ${st.current ?? "nothing"}`).join(", ")}; promote only what every ${from} host runs (finish or redo the ${from} deploy)`,
    };
  const r = p.releases.find((x) => x.id === p.current);
  if (!r?.manifest) return { refuse: `${from}'s current release ${p.current} has no readable manifest on ${primary}: its commit is unknown` };
  if (r.status !== "ok")
    return { refuse: `${from}'s current release ${p.current} is ${r.status}, not ok: only a release that went live successfully is promoted` };
  if (r.manifest.source !== "git") return { refuse: `${from}'s release ${p.current} was built from a directory, not a git commit: nothing to promote` };
  for (const st of Object.values(states)) {
    const c = st.releases.find((x) => x.id === p.current)?.manifest?.commit;
    if (c && c !== r.manifest.commit)
      return { refuse: `${from}'s release ${p.current} names commit ${c.slice(0, 12)} on ${st.host} but ${r.manifest.commit.slice(0, 12)} on ${primary}` };
  }
  return { env: from, release: p.current, commit: r.manifest.commit, ref: r.manifest.ref, deployedBy: r.manifest.deployedBy, createdAt: r.manifest.createdAt };
}
