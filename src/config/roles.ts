/** Role helpers: which hosts carry a role, and a role's primary host. */
import { UsageError } from "../errors.js";
import type { Host } from "./resolve.js";

/** Whether something limited to `roles` (none: every host) applies to this host. */
export function appliesTo(roles: readonly string[] | undefined, host: Pick<Host, "roles">): boolean {
  return !roles || roles.some((r) => host.roles.includes(r));
}

/**
 * A role's primary is its host marked `primary: true`, else its first host, so one-off commands
 * (`run --role db`, `ssh django_manage`) always land on the same machine.
 */
export function rolePrimary(hosts: readonly Host[], role: string): Host {
  const withRole = hosts.filter((h) => h.roles.includes(role));
  if (!withRole.length) throw new UsageError(`no host has role "${role}" (roles: ${[...new Set(hosts.flatMap((h) => h.roles))].join(", ") || "none"})`);
  return withRole.find((h) => h.primary) ?? withRole[0]!;
}
