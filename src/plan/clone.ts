/**
 * planClone(input) → ClonePlan: pure. `slipway qa db clone --from production`: which backup of the
 * source database is restored over the target's, how the file gets there, the services stopped
 * around it, the scrub SQL (one transaction) and the checks that must return no rows before the
 * services start again. Every refusal (same environment, same database, no scrub rules) is decided
 * here, so `--plan` and the real run refuse alike.
 */
import type { Database, Environment, Host } from "../config/resolve.js";
import { scrubSql } from "../commands/db/scrub.js";
import { planServiceAction, type ServicePlan } from "./services.js";

/** What the plan needs to know of a backup (a subset of the backup metadata). */
export interface CloneBackup {
  id: string;
  createdAt: string;
  by: string;
  release?: string | null;
  size?: number;
  encrypted?: boolean;
}

export interface CloneInput {
  target: Environment;
  targetDb: Database;
  source: Environment;
  sourceDb: Database;
  /** The source's backups, newest last (as listBackups returns them). */
  backups: CloneBackup[];
  /** `--backup ID`; the newest one otherwise. */
  backupId?: string;
  unscrubbed: boolean;
}

/**
 * How the backup reaches the target database host: already there (same login, same directory),
 * copied on that host (same login, another directory), or streamed through this machine.
 */
export type Transfer = "in-place" | "copy-on-host" | "stream";

export interface ClonePlan {
  verb: "db clone";
  env: string;
  from: string;
  db: string;
  /** The host holding the target environment's lock. */
  lock: string;
  source: { env: string; db: string; host: string; server: string; name: string; dir: string };
  target: { env: string; db: string; host: string; server: string; name: string; dir: string };
  backup: CloneBackup;
  transfer: Transfer;
  /** Services stopped before the restore (null: none configured, or `stop_services: false`). */
  stop: ServicePlan | null;
  /** ...and started once every check passed. */
  start: ServicePlan | null;
  scrubbed: boolean;
  /** The configured statements and the column rules, as run (empty when unscrubbed). */
  statements: string[];
  columns: Record<string, string>;
  /** One SQL text run in one transaction; null when there is nothing to run. */
  scrubSql: string | null;
  checks: string[];
}

/** The same login on the same machine: files one reads, the other reads too. */
export function sameLogin(a: Host, b: Host): boolean {
  if (a.transport !== b.transport) return false;
  if (a.transport === "local") return true;
  return a.address === b.address && (a.port ?? 22) === (b.port ?? 22) && (a.user ?? "") === (b.user ?? "");
}

/**
 * Could the two be one database? The same name on the same server address and port. A loopback
 * address on two database hosts may still be one server (two ssh aliases of one machine), and
 * Slipway cannot tell: when unsure the answer is yes, so a clone never restores over its source.
 */
export function sameDatabase(a: Database, b: Database): boolean {
  return a.name === b.name && a.server.port === b.server.port && a.server.host.toLowerCase() === b.server.host.toLowerCase();
}

const where = (db: Database) => `${db.server.host}:${db.server.port}`;

export function planClone(input: CloneInput): ClonePlan | { refuse: string } {
  const { target, targetDb, source, sourceDb } = input;
  if (target.name === source.name)
    return { refuse: `--from ${source.name} is this environment: clone from another one (e.g. slipway ${target.name} db clone --from production)` };
  if (sameDatabase(sourceDb, targetDb))
    return {
      refuse: `${target.name} ${targetDb.key} (${targetDb.name} on ${where(targetDb)}) may be the same database as ${source.name} ${sourceDb.key} (same name, server address and port): a clone never restores over its source; give the ${target.name} database another name`,
    };
  if (sourceDb.engine !== targetDb.engine)
    return {
      refuse: `${source.name} ${sourceDb.key} is ${sourceDb.engine} and ${target.name} ${targetDb.key} is ${targetDb.engine}: a backup restores only into the same engine`,
    };
  const clone = targetDb.clone;
  const hasRules = Boolean(clone && (clone.scrub.length || Object.keys(clone.columns).length));
  if (!hasRules && !input.unscrubbed)
    return {
      refuse: `${target.name} ${targetDb.key} has no scrub rules (environments.${target.name}.databases.${targetDb.key}.clone.scrub / columns): refusing to copy ${source.name}'s data unscrubbed. Add rules, or pass --unscrubbed (recorded in the history)`,
    };
  if (!input.backups.length)
    return {
      refuse: `${source.name} ${sourceDb.key} has no backups on ${sourceDb.host.name}: a clone restores an existing backup and takes none. Take one with: slipway ${source.name} db backup`,
    };
  const backup = input.backupId === undefined ? input.backups.at(-1)! : input.backups.find((b) => b.id === input.backupId);
  if (!backup)
    return {
      refuse: `--backup ${input.backupId}: no such backup of ${source.name} ${sourceDb.key}; newest: ${input.backups
        .slice(-3)
        .map((b) => b.id)
        .join(", ")} (slipway ${source.name} db backups)`,
    };
  const scrubbed = !input.unscrubbed;
  const statements = scrubbed ? (clone?.scrub ?? []) : [];
  const columns = scrubbed ? (clone?.columns ?? {}) : {};
  const sql = statements.length || Object.keys(columns).length ? scrubSql(targetDb, statements, columns) : null;
  const services = (clone?.stopServices ?? true) && target.services.length > 0;
  const svc = (action: "stop" | "start") => {
    if (!services) return null;
    const p = planServiceAction(target, target.hosts, target.services, action);
    return "refuse" in p ? null : p;
  };
  const transfer: Transfer = sameLogin(sourceDb.host, targetDb.host) ? (sourceDb.backups.dir === targetDb.backups.dir ? "in-place" : "copy-on-host") : "stream";
  const side = (env: Environment, db: Database) => ({
    env: env.name,
    db: db.key,
    host: db.host.name,
    server: where(db),
    name: db.name,
    dir: db.backups.dir,
  });
  return {
    verb: "db clone",
    env: target.name,
    from: source.name,
    db: targetDb.key,
    lock: target.primary.name,
    source: side(source, sourceDb),
    target: side(target, targetDb),
    backup,
    transfer,
    stop: svc("stop"),
    start: svc("start"),
    scrubbed,
    statements,
    columns: Object.fromEntries(Object.entries(columns).map(([k, r]) => [k, typeof r === "string" ? r : "set"])),
    scrubSql: sql,
    checks: scrubbed ? (clone?.check ?? []) : [],
  };
}

const servicesLine = (p: ServicePlan) =>
  Object.entries(p.services)
    .map(([h, list]) => `${h}: ${list.join(", ")}`)
    .join("; ");

/** `db clone --plan`: the steps in order, as a person reads them. */
export function formatClonePlan(plan: ClonePlan): string {
  const b = plan.backup;
  const out = [
    `plan: db clone ${plan.env} ${plan.db} from ${plan.from} ${plan.source.db}`,
    `  source  ${plan.source.name} on ${plan.source.server} (via ${plan.source.host})`,
    `  target  ${plan.target.name} on ${plan.target.server} (via ${plan.target.host}): REPLACED`,
    "",
    `lock      on ${plan.lock}: hold ${plan.env}'s environment lock for the whole clone`,
  ];
  let n = 0;
  const step = (text: string) => out.push(`${++n}. ${text}`);
  if (plan.stop) step(`stop services (${servicesLine(plan.stop)})`);
  else step("stop services: none (no services, or clone.stop_services: false)");
  step(
    `restore backup ${b.id} of ${plan.from} ${plan.source.db}, created ${b.createdAt} by ${b.by}${b.release ? `, release ${b.release}` : ""}${
      b.encrypted ? " (encrypted: needs --key)" : ""
    }`,
  );
  out.push(`   no new backup is taken: for fresh data run \`slipway ${plan.from} db backup\` first`);
  out.push(
    {
      "in-place": `   read in place on ${plan.target.host} (${plan.target.dir})`,
      "copy-on-host": `   copied on ${plan.target.host} from ${plan.source.dir} to ${plan.target.dir}, removed after the restore`,
      stream: `   streamed ${plan.source.host} → this machine → ${plan.target.host} (${plan.target.dir}), removed after the restore`,
    }[plan.transfer],
  );
  out.push(`   ${plan.target.name} is backed up first (before-restore: \`slipway ${plan.env} db restore <id>\` undoes the clone), then replaced`);
  if (!plan.scrubbed) step("scrub: NONE (--unscrubbed: production data stays as it is; recorded in the history)");
  else if (plan.scrubSql) {
    step("scrub, in one transaction:");
    out.push(
      ...plan.scrubSql
        .trimEnd()
        .split("\n")
        .map((l) => `   ${l}`),
    );
  } else step("scrub: nothing to run");
  if (plan.checks.length) {
    step("checks, each must return no rows (else: exit 1, services stay stopped):");
    out.push(...plan.checks.map((c) => `   ${c}`));
  } else step("checks: none configured");
  if (plan.start) step(`start services (${servicesLine(plan.start)}) and wait for health`);
  out.push(`unlock    on ${plan.lock}: append the history line (db clone) and release the lock`);
  return `${out.join("\n")}\n`;
}
