/**
 * The database side of a deploy, driven from this machine: read each database's alters before
 * planning (and decide about downtime), then run the plan's db and downtime stages — backups
 * right before migrate, the pending alters, the after-migrate backup and the release's schema record.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { pathsFor } from "../config/paths.js";
import type { Database, Host } from "../config/resolve.js";
import { readSchemaStatus, schemaStatus, statusHash, writeDbRecord } from "../commands/db/record.js";
import { OperationError } from "../errors.js";
import { failures, forEachHost } from "../exec/fanout.js";
import { capture } from "../exec/runner.js";
import { changedMessage, classifyAlters, formatAlters, type AltersStatus } from "../plan/alters.js";
import { decideDowntime, type DbDeployInput, type DeployDowntime } from "../plan/deploy-db.js";
import type { DeployPlan } from "../plan/deploy.js";
import type { DbRecord, DbSummary, Manifest } from "../plan/host-input.js";
import { commandEnv } from "../plan/sections.js";
import type { ControlStage } from "./deploy-run.js";
import type { RunContext } from "./context.js";
import { altersStatus, applyAlters } from "./alters.js";
import { takeBackup } from "./db-backup.js";
import { downtimeStart, downtimeStatus, pageDown } from "./downtime.js";
import { runScripts } from "./stages.js";

/** Exit status of `databases.<db>.downtime.command` that means "this deploy needs downtime". */
export const NEEDS_DOWNTIME_EXIT = 3;

export interface DbGathered {
  inputs: DbDeployInput[];
  downtime: DeployDowntime;
  statuses: Record<string, AltersStatus>;
}

/** Read alters and classify, before planning. Throws OperationError for refusals (changed alters, downtime). */
export async function gatherDatabases(
  ctx: RunContext,
  hosts: Host[],
  commit: string,
  previousCommit: string | null,
  opts: { downtime?: boolean; preview?: boolean },
): Promise<DbGathered | undefined> {
  const dbs = ctx.env.databases;
  // Databases belong to the app's release track: a component's deploy leaves them alone.
  if (!dbs.length || ctx.env.component !== null) return undefined;
  const statuses: Record<string, AltersStatus> = {};
  const inputs: DbDeployInput[] = [];
  for (const db of dbs) {
    const status = db.alters ? await altersStatus(ctx, db, commit) : undefined;
    if (status) statuses[db.key] = status;
    for (const w of status?.warnings ?? []) ctx.bus.warn(`${db.key}: ${w}`);
    const cls = status ? classifyAlters(db, status.pending) : { needsDowntime: false, reasons: [] };
    inputs.push({
      key: db.key,
      applied: (status?.applied ?? []).filter((a) => a.complete).map((a) => ({ name: a.name, checksum: a.checksum })),
      pending: (status?.pending ?? []).map((f) => ({ name: f.name, checksum: f.checksum })),
      altersText: status ? formatAlters(status) : db.alters ? "" : "no tracked alters configured",
      refuse: [...(status?.changed ?? []).map(changedMessage), ...(status?.errors ?? [])],
      needsDowntime: cls.needsDowntime,
      reasons: cls.reasons,
    });
  }
  const refusals = inputs.flatMap((i) => i.refuse.map((r) => `${i.key}: ${r}`));
  if (refusals.length && !opts.preview)
    throw new OperationError(
      `deploy refused: the alters cannot be applied safely:\n  ${refusals.join("\n  ")}\n(a changed applied file: restore it as applied and add a new alter instead)`,
    );
  const command = await downtimeCommand(ctx, dbs, commit, previousCommit);
  const anyReason = command?.needsDowntime || inputs.some((i) => i.reasons.length);
  const pageUp = anyReason ? await maintenancePageUp(ctx, hosts) : false;
  const decided = decideDowntime(inputs, { pageUp, downtime: opts.downtime === true, command });
  if ("refuse" in decided) {
    if (!opts.preview) throw new OperationError(`deploy refused: ${decided.refuse}`);
    return { inputs, statuses, downtime: { class: "needs downtime", reasons: decided.reasons, action: "none" } };
  }
  return { inputs, statuses, downtime: decided };
}

/** The configured classifier: run here, in the config directory, with the commits it may compare. */
async function downtimeCommand(
  ctx: RunContext,
  dbs: Database[],
  commit: string,
  previous: string | null,
): Promise<{ needsDowntime: boolean; reason: string } | undefined> {
  for (const db of dbs) {
    const command = db.downtime.command;
    if (!command) continue;
    const code = await new Promise<number>((resolve) => {
      execFile(
        "bash",
        ["-c", command],
        {
          cwd: ctx.env.configDir,
          env: { ...process.env, SLIPWAY_COMMIT: commit, SLIPWAY_PREVIOUS_COMMIT: previous ?? "", SLIPWAY_DB: db.key },
          timeout: 60_000,
        },
        (err) => resolve(err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0),
      );
    });
    if (code === NEEDS_DOWNTIME_EXIT)
      return { needsDowntime: true, reason: `${db.key}: downtime command says so (\`${command}\` exited ${NEEDS_DOWNTIME_EXIT})` };
    if (code !== 0)
      throw new OperationError(
        `${db.key}: downtime.command \`${command}\` failed (exit ${code}); expected 0 (zero-downtime) or ${NEEDS_DOWNTIME_EXIT} (needs downtime)`,
      );
  }
  return undefined;
}

async function maintenancePageUp(ctx: RunContext, hosts: Host[]): Promise<boolean> {
  const st = await downtimeStatus(ctx, ctx.pool, hosts);
  const pages = Object.values(st.page);
  return pages.length > 0 && pages.every((p) => "on" in p && p.on);
}

/** Runs the db and downtime stages of one deploy; remembers the backups it took for history and the record. */
export class DbSteps {
  readonly backups: Record<string, string[]> = {};
  private readonly taken: Record<string, { before?: string; after?: string }> = {};

  constructor(
    private ctx: RunContext,
    private plan: DeployPlan,
    private hosts: () => Host[],
    /** What each database's alters looked like when the deploy was planned. */
    private statuses: Record<string, AltersStatus> = {},
  ) {}

  async run(stage: Exclude<ControlStage, { kind: "preflight" }>): Promise<void> {
    if (stage.kind === "downtime") return this.downtime(stage.action);
    const db = stage.action === "record" ? undefined : this.db(stage.db);
    if (stage.action === "backup") {
      let meta: Awaited<ReturnType<typeof takeBackup>>;
      try {
        meta = await takeBackup(this.ctx, db!, { reason: stage.reason, release: this.plan.releaseId, note: `deploy ${this.plan.releaseId}` });
      } catch (e) {
        const what = stage.reason === "before-migrate" ? "nothing was migrated and nothing switched" : "migrations ran; nothing switched";
        throw new OperationError(`${stage.reason} backup of ${db!.key} on ${db!.host.name} failed, so the deploy stops (${what}):\n${(e as Error).message}`);
      }
      (this.backups[db!.key] ??= []).push(meta.id);
      (this.taken[db!.key] ??= {})[stage.reason === "before-migrate" ? "before" : "after"] = meta.id;
      this.ctx.bus.info(`${db!.key}: backup ${meta.id} (${stage.reason}, ${meta.size} bytes, sha256 ${meta.sha256.slice(0, 12)})`, db!.host.name);
      return;
    }
    if (stage.action === "alters") {
      const status = this.statuses[db!.key];
      if (!status) throw new Error(`internal: no alters status for ${db!.key}`);
      const r = await applyAlters(this.ctx, db!, status, { release: this.plan.releaseId });
      this.ctx.bus.info(`${db!.key}: applied ${r.applied.length} alter(s): ${r.applied.join(", ") || "(none)"}`, db!.host.name);
      return;
    }
    await this.record(stage);
  }

  private db(key: string): Database {
    const db = this.ctx.env.databases.find((d) => d.key === key);
    if (!db) throw new Error(`internal: unknown database ${key}`);
    return db;
  }

  private async downtime(action: "start" | "end"): Promise<void> {
    const hosts = this.hosts();
    if (action === "start") {
      return downtimeStart(this.ctx, hosts, `Deploying ${this.plan.releaseId}`);
    }
    await pageDown(this.ctx, hosts);
    this.ctx.bus.info("maintenance page down");
  }

  /** schema_status on the migrate host, then db.json and the manifest's summary on every host. */
  private async record(stage: Extract<ControlStage, { action: "record" }>): Promise<void> {
    const env = this.ctx.env;
    const id = this.plan.releaseId;
    const primary = this.hosts().find((h) => h.name === this.plan.primary) ?? env.primary;
    const pp = pathsFor(primary.deployTo);
    const status: Record<string, string> = {};
    for (const db of env.databases) {
      if (!db.schemaStatus) continue;
      const script = {
        env: commandEnv(env, { SLIPWAY_RELEASE: id, SLIPWAY_RELEASE_PATH: pp.release(id), SLIPWAY_HOST: primary.name }),
        sections: [{ phase: "migrate", cwd: pp.release(id), commands: [schemaStatus(pp, id, db.schemaStatus)], timeoutMs: env.timeouts.migrate }],
      };
      await runScripts(this.ctx, this.ctx.pool, [primary], { [primary.name]: script }, "migrate");
      status[db.key] = await capture(await this.ctx.pool.get(primary), "migrate", readSchemaStatus(pp, id), "read schema_status output", this.ctx.signal);
    }
    const record: DbRecord = {};
    const summary: Record<string, DbSummary> = {};
    for (const db of env.databases) {
      const alters = stage.alters[db.key] ?? [];
      const t = this.taken[db.key] ?? {};
      const sh = status[db.key] !== undefined ? statusHash(status[db.key]!) : undefined;
      record[db.key] = {
        ...(t.before ? { backupBefore: t.before } : {}),
        ...(t.after ? { backupAfter: t.after } : {}),
        alters,
        ...(sh ? { statusHash: sh, status: status[db.key] } : {}),
      };
      summary[db.key] = {
        ...(t.before ? { backupBefore: t.before } : {}),
        ...(t.after ? { backupAfter: t.after } : {}),
        alters: alters.length,
        altersHash: createHash("sha256")
          .update(alters.map((a) => `${a.name}:${a.checksum}`).join("\n"))
          .digest("hex")
          .slice(0, 32),
        ...(sh ? { statusHash: sh } : {}),
      };
    }
    const manifest: Manifest = { ...this.plan.manifest, db: summary };
    const targets = this.hosts().filter((h) => stage.hosts.includes(h.name));
    const results = await forEachHost(targets, this.ctx.parallel, async (h) =>
      capture(
        await this.ctx.pool.get(h),
        "migrate",
        writeDbRecord(pathsFor(h.deployTo), id, manifest, record).sh,
        "write the release's db record",
        this.ctx.signal,
        env.timeouts.switch,
      ),
    );
    const failed = failures(results);
    if (failed.length) throw new OperationError(`could not record the schema state:\n${failed.map((f) => `${f.host}: ${f.error.message}`).join("\n")}`);
  }
}
