/** The env file every backend shares: its path, name checks, the NUL-record format, and the atomic writer. */
import path from "node:path";
import type { Service } from "../../config/resolve.js";
import { and, ENV_NAME, shPath, shq } from "../quote.js";
import { cmd, type ScriptCommand } from "../script.js";
import type { ServiceContext } from "./backend.js";

/** Where a service's environment lives on the host (dir 0700, file 0600): secrets stay out of program files and units. */
export function envFilePath(svc: Service, c: ServiceContext): string {
  return path.posix.join(c.paths.meta, "env", `${svc.program}.env`);
}

/** The environment's entries, refusing names a shell or systemd would misread. */
export const checkedEnv = (env: Record<string, string>) =>
  Object.entries(env).map(([k, v]) => {
    if (!ENV_NAME.test(k)) throw new Error(`invalid environment variable name: ${JSON.stringify(k)}`);
    return [k, v] as const;
  });

/** Shell printing NUL-terminated `NAME=value` records: a format read back without any parsing (supervisord's loader). */
export function nulRecords(env: Record<string, string>): string {
  const entries = checkedEnv(env);
  return entries.length ? `printf '%s\\0' ${entries.map(([k, v]) => shq(`${k}=${v}`)).join(" ")}` : "printf ''";
}

/**
 * (Re)write a service's env file atomically: an exclusively created, unpredictable temp file
 * (mktemp, 0600) in the same 0700 directory, renamed over the old one. `body` is shell printing
 * the file's bytes in the backend's format.
 */
export function envFileCommand(svc: Service, c: ServiceContext, body: string): ScriptCommand {
  const file = envFilePath(svc, c);
  const dir = shPath(path.posix.dirname(file));
  return cmd(
    and(
      `(umask 077 && mkdir -p ${dir})`,
      `chmod 700 ${dir}`,
      `t=$(mktemp ${dir}/${shq(`.${svc.program}.env.XXXXXXXXXX`)})`,
      `{ { ${body} > "$t" && chmod 600 "$t" && mv -f "$t" ${shPath(file)}; } || { rm -f "$t"; false; }; }`,
    ),
    `write environment file for ${svc.program}`,
  );
}
