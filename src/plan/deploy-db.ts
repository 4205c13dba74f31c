/**
 * The database part of a deploy plan, pure: where backups and tracked alters go among the stages,
 * what each release records about its schema, and whether the deploy needs downtime (and what
 * happens about it). Input is what apply/deploy-db.ts read before planning.
 */
import type { Environment } from "../config/resolve.js";
import type { DbStage, Stage } from "./stage.js";

export interface AlterRef {
  name: string;
  checksum: string;
}

/** What was read about one database before planning. */
export interface DbDeployInput {
  key: string;
  /** Applied alters (from the schema history table), pending files, and problems that stop the deploy. */
  applied: AlterRef[];
  pending: AlterRef[];
  /** Lines describing the alters for `--plan` (pending, partial, the MySQL note). */
  altersText: string;
  /** Refusals: changed applied files. */
  refuse: string[];
  needsDowntime: boolean;
  reasons: string[];
}

export interface DeployDowntime {
  class: "zero-downtime" | "needs downtime";
  reasons: string[];
  /** none: zero-downtime; page-up: the page is already up; bring-up: --downtime, Slipway brings it up and down. */
  action: "none" | "page-up" | "bring-up";
}

export interface DbDeployPlan {
  dbs: { key: string; host: string; engine: string; backupBefore: boolean; backupAfter: boolean; pending: string[]; altersText: string }[];
  downtime: DeployDowntime;
}

/** Whether the deploy needs downtime and what to do about it; a refusal explains how to go on. */
export function decideDowntime(
  inputs: DbDeployInput[],
  o: { pageUp: boolean; downtime: boolean; command?: { needsDowntime: boolean; reason: string } },
): DeployDowntime | { refuse: string; reasons: string[] } {
  const reasons = inputs.flatMap((d) => d.reasons.map((r) => `${d.key}: ${r}`));
  if (o.command?.needsDowntime) reasons.push(o.command.reason);
  if (!reasons.length) return { class: "zero-downtime", reasons: [], action: "none" };
  if (o.pageUp) return { class: "needs downtime", reasons, action: "page-up" };
  if (o.downtime) return { class: "needs downtime", reasons, action: "bring-up" };
  return {
    reasons,
    refuse:
      `this deploy needs downtime:\n${reasons.map((r) => `  - ${r}`).join("\n")}\n` +
      "put the maintenance page up first (slipway <env> downtime start), or pass --downtime to have the deploy bring it up before migrate and down after the health checks",
  };
}

/**
 * Insert the database stages: before the migrate stage (or the switch when there is no migrate
 * stage) the backups and the alters; after it the after-migrate backups and the schema record.
 * Downtime wraps everything from the first database step to the end.
 */
export function addDbStages(env: Environment, stages: Stage[], inputs: DbDeployInput[], downtime: DeployDowntime, hostNames: string[]): DbDeployPlan {
  const hasMigrate = stages.some((s) => s.kind === "hosts" && s.phases.includes("migrate"));
  const dbs: DbDeployPlan["dbs"] = [];
  const before: Stage[] = [];
  const after: Stage[] = [];
  for (const input of inputs) {
    const db = env.databases.find((d) => d.key === input.key)!;
    const migrates = hasMigrate || input.pending.length > 0;
    const backupBefore = migrates && db.backups.beforeMigrate;
    const backupAfter = migrates && db.backups.afterMigrate;
    if (backupBefore) before.push({ kind: "db", action: "backup", db: db.key, reason: "before-migrate" });
    if (input.pending.length) before.push({ kind: "db", action: "alters", db: db.key, files: input.pending.map((p) => p.name) });
    if (backupAfter) after.push({ kind: "db", action: "backup", db: db.key, reason: "after-migrate" });
    dbs.push({
      key: db.key,
      host: db.host.name,
      engine: db.engine,
      backupBefore,
      backupAfter,
      pending: input.pending.map((p) => p.name),
      altersText: input.altersText,
    });
  }
  if (inputs.length) {
    const alters = Object.fromEntries(inputs.map((i) => [i.key, [...i.applied, ...i.pending]]));
    after.push({ kind: "db", action: "record", hosts: hostNames, alters } satisfies DbStage);
  }
  const migrateAt = stages.findIndex((s) => s.kind === "hosts" && s.phases.includes("migrate"));
  const switchAt = stages.findIndex((s) => s.kind === "hosts" && s.phases.includes("switch"));
  const at = migrateAt >= 0 ? migrateAt : switchAt >= 0 ? switchAt : stages.length;
  // Called after the pre-step gate was placed before migrate: required pre-steps finish before any database change.
  const gateFirst = at;
  const startDowntime: Stage[] = downtime.action === "bring-up" ? [{ kind: "downtime", action: "start" }] : [];
  stages.splice(gateFirst, 0, ...startDowntime, ...before);
  const afterAt = migrateAt >= 0 ? gateFirst + startDowntime.length + before.length + 1 : gateFirst + startDowntime.length + before.length;
  stages.splice(afterAt, 0, ...after);
  if (downtime.action === "bring-up") stages.push({ kind: "downtime", action: "end" });
  return { dbs, downtime };
}
