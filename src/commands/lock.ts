/** The lock is a tiny remote protocol: atomic `mkdir` plus a details file (Kamal's commands/lock.rb). */
import { FILES, type Paths } from "../config/paths.js";
import { shPath, shq } from "./quote.js";

export interface LockInfo {
  token: string;
  who: string;
  reason: string;
  verb: string;
  since: string;
  version: string;
  controlHost: string;
  pid: number;
  /** Manual locks (`lock acquire`) are held until `lock release`. */
  manual: boolean;
}

/**
 * Prints ACQUIRED (then the output of `andThen`, saving a round trip), or HELD followed by the
 * holder's details.
 */
export function acquireLock(p: Paths, info: LockInfo, andThen?: string): string {
  const dir = shPath(p.lockDir);
  return (
    `mkdir -p ${shPath(p.meta)} && if mkdir ${dir} 2>/dev/null; then ` +
    `printf '%s\\n' ${shq(JSON.stringify(info))} > ${dir}/${FILES.lockInfo} && echo ACQUIRED${andThen ? ` && { ${andThen}\n}` : ""}; ` +
    `else echo HELD; cat ${dir}/${FILES.lockInfo} 2>/dev/null; fi`
  );
}

/**
 * Release only if the lock is ours (token matches), unless forced. Prints RELEASED, NOTOURS or NONE.
 * `before` (e.g. appending history) runs first, in the same round trip.
 */
export function releaseLock(p: Paths, token: string | null, before?: string): string {
  const dir = shPath(p.lockDir);
  if (before) return `{ ${before}\n} >&2; ${releaseLock(p, token)}`;
  if (token === null) return `if [ -d ${dir} ]; then cat ${dir}/${FILES.lockInfo} 2>/dev/null; rm -rf ${dir} && echo; echo RELEASED; else echo NONE; fi`;
  return `if [ -d ${dir} ]; then if grep -qF ${shq(`"token":"${token}"`)} ${dir}/${FILES.lockInfo} 2>/dev/null; then rm -rf ${dir} && echo RELEASED; else echo NOTOURS; fi; else echo NONE; fi`;
}

export function readLock(p: Paths): string {
  const dir = shPath(p.lockDir);
  return `if [ -d ${dir} ]; then echo HELD; cat ${dir}/${FILES.lockInfo} 2>/dev/null; else echo FREE; fi`;
}
