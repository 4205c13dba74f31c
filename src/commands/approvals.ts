/**
 * Approvals on the environment's primary: `<deploy_to>/.slipway/approvals/<commit>/<who>.json`, one
 * file per approver (approving again replaces it), written atomically. Paths come only from a
 * validated commit and user name; what is read back is parsed by plan/approvals-input.ts.
 */
import { COMMIT, type Paths } from "../config/paths.js";
import { shPath, shq } from "./quote.js";

/** A user name as approvals store it (the user part of SLIPWAY_USER / whoAmI); it becomes a file name. */
export const APPROVER = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const isApprover = (s: string) => APPROVER.test(s) && !s.includes("..");
const isCommit = (s: string) => COMMIT.test(s);

/** One stored approval. */
export interface Approval {
  commit: string;
  who: string;
  /** user@control-host of the approver. */
  by: string;
  at: string;
  ref: string;
  why: string;
}

export const approvalsDir = (p: Paths) => `${p.meta}/approvals`;

/** Store one approval (tmp + mv, so a reader never sees half a file). */
export function writeApproval(p: Paths, a: Approval): string {
  if (!isCommit(a.commit) || !isApprover(a.who)) throw new Error("approval: invalid commit or approver");
  const tmp = `.${a.who}.json.tmp.$$`;
  return `mkdir -p ${shPath(`${approvalsDir(p)}/${a.commit}`)} && cd ${shPath(`${approvalsDir(p)}/${a.commit}`)} && printf '%s\\n' ${shq(JSON.stringify(a))} > ${tmp} && mv -f ${tmp} ${shq(`${a.who}.json`)}`;
}

/**
 * Every approval (or one commit's): lines `<commit>/<who>.json<TAB><first line of the file>`,
 * at most 8 KiB of each file.
 */
export function readApprovals(p: Paths, commit?: string): string {
  if (commit !== undefined && !isCommit(commit)) throw new Error("approvals: invalid commit");
  return `( cd ${shPath(approvalsDir(p))} 2>/dev/null || exit 0; for f in ${commit ?? "*"}/*.json; do [ -f "$f" ] || continue; printf '%s\\t%s\\n' "$f" "$(head -c 8192 "$f" | head -n 1)"; done )`;
}
