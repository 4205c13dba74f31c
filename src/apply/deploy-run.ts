/**
 * Walking a deploy plan: one explicit run-state object (which hosts are still in, which were left
 * out, which may have switched, whether services already run the new release) and one method per
 * stage kind. Recovery and failure hooks come from the plan; this only decides which parts apply.
 */
import type { Host } from "../config/resolve.js";
import { InterruptedError, OperationError, StepTimeoutError } from "../errors.js";
import type { RunnablePlan, Stage } from "../plan/stage.js";
import type { HostState } from "../plan/state.js";
import type { RunContext } from "./context.js";
import type { FileEntry } from "./files.js";
import { isPartialHost } from "./guards.js";
import { ensurePresteps } from "./prestep.js";
import { recover } from "./recover.js";
import { sleep } from "./sleep.js";
import { runLocal, runScripts, StageError } from "./stages.js";
import { runUploadStage } from "./upload-stage.js";

export interface Dropped {
  host: string;
  phase: string;
  error: Error;
}

/** A rolling deploy stopped by a failed batch: the hosts are in a stated, mixed state. */
export class RolloutStopped extends OperationError {}

type HostStage = Extract<Stage, { kind: "hosts" }>;
/** Stages the control machine drives itself: database steps and the deploy's downtime. */
export type ControlStage = Extract<Stage, { kind: "db" } | { kind: "downtime" } | { kind: "preflight" }>;

export class DeployRun {
  /** Hosts still taking part (hosts allowed to fail are removed when they do). */
  readonly active: Set<string>;
  readonly dropped: Dropped[];
  /** Hosts whose `current` may point at the new release: a failure switches exactly these back. */
  switched: string[];
  /** Services already run the new release, so a switch-back restarts the old one. */
  restarted = false;
  private readonly byName: Map<string, Host>;

  constructor(
    private ctx: RunContext,
    private plan: RunnablePlan,
    private hosts: Host[],
    private states: Record<string, HostState>,
    /** allowPartial: --allow-partial; rolesMayFail (default true): roles.<r>.allow_partial counts too. */
    private opts: { allowPartial?: boolean; rolesMayFail?: boolean; files?: FileEntry[]; steps?: (stage: ControlStage) => Promise<void> },
    dropped: Dropped[],
    switched: string[],
  ) {
    this.active = new Set(plan.hosts);
    this.dropped = [...dropped];
    this.switched = switched;
    this.byName = new Map(hosts.map((h) => [h.name, h]));
  }

  activeHosts(): Host[] {
    return this.hosts.filter((h) => this.active.has(h.name));
  }

  /** Every stage in order; a failure is thrown after recovery ran, with the summary in its message. */
  async walk(): Promise<void> {
    for (const stage of this.plan.stages) {
      if (this.ctx.signal.aborted) throw new InterruptedError();
      if (stage.kind === "local") await runLocal(this.ctx, stage.script);
      else if (stage.kind === "gate") await ensurePresteps(this.ctx, this.ctx.pool, this.plan.commit, this.plan.releaseId, this.activeHosts());
      else if (stage.kind === "wait") await sleep(stage.ms, this.ctx.signal);
      else if (stage.kind === "db" || stage.kind === "downtime" || stage.kind === "preflight") {
        // Database and downtime steps are driven from this machine (apply/deploy-db.ts); a failure stops the run here.
        if (!this.opts.steps) throw new Error(`internal: no runner for ${stage.kind} stages`);
        await this.opts.steps(stage);
      } else if (stage.batch) await this.batchStage(stage);
      else await this.hostStage(stage);
    }
  }

  private async hostStage(stage: HostStage): Promise<void> {
    const label = stage.phases.join("+");
    const isSwitch = stage.phases.includes("switch");
    const stageHosts = this.inStage(stage);
    const upload = { id: this.plan.releaseId, commit: this.plan.commit, states: this.states, files: this.opts.files };
    const run = stage.upload
      ? () => runUploadStage(this.ctx, this.ctx.pool, stageHosts, stage.scripts, label, upload)
      : () => runScripts(this.ctx, this.ctx.pool, stageHosts, stage.scripts, label);
    await this.tolerant(run, label, isSwitch ? stageHosts.map((h) => h.name) : null);
    if (isSwitch) this.switched = [...new Set([...this.switched, ...stage.hosts.filter((n) => this.active.has(n))])];
    if (stage.phases.includes("restart")) this.restarted = true;
  }

  /**
   * One batch of a rolling deploy. Its switch tolerates hosts allowed to fail; its restart does
   * not: a failed check switches this batch back and stops the rollout (rollout.on_unhealthy: all
   * switches every switched host back instead).
   */
  private async batchStage(stage: HostStage): Promise<void> {
    const { index, of } = stage.batch!;
    const names = stage.hosts.filter((n) => this.active.has(n));
    if (stage.phases.includes("switch")) {
      if (of > 1) this.ctx.bus.info(`rolling batch ${index}/${of}: ${stage.hosts.join(", ")}`);
      await this.tolerant(() => runScripts(this.ctx, this.ctx.pool, this.inStage(stage), stage.scripts, "switch+cleanup"), "switch+cleanup", names);
      this.switched = [...new Set([...this.switched, ...stage.hosts.filter((n) => this.active.has(n))])];
      return;
    }
    const restartHosts = this.inStage(stage);
    if (!restartHosts.length) return;
    try {
      await runScripts(this.ctx, this.ctx.pool, restartHosts, stage.scripts, "restart+verify");
      if (index === of) this.restarted = true;
    } catch (e) {
      if (!(e instanceof StageError) || this.ctx.env.onUnhealthy === "all" || this.ctx.signal.aborted) throw e;
      const batchNames = new Set(this.batchHosts(index));
      const back = this.activeHosts().filter((h) => batchNames.has(h.name));
      const summary = await recover(
        this.ctx,
        this.plan,
        back,
        back.map((h) => h.name),
        true,
      );
      const done = this.switched.filter((n) => !batchNames.has(n));
      const untouched = this.plan.hosts.filter((n) => this.switchHosts().includes(n) && !this.switched.includes(n) && this.active.has(n));
      throw new RolloutStopped(
        `rollout stopped at batch ${index}/${of}: ${e.failed.map((f) => f.error.message).join("\n")}\n${summary.join("\n")}` +
          `\n  on the new release ${this.plan.releaseId}: ${done.join(", ") || "(none)"}` +
          `\n  not reached (still on their previous release): ${untouched.join(", ") || "(none)"}`,
      );
    }
  }

  /** The hosts of the switch stage of batch `index`. */
  private batchHosts(index: number): string[] {
    return this.plan.stages.find((s): s is HostStage => s.kind === "hosts" && s.batch?.index === index && s.phases.includes("switch"))?.hosts ?? [];
  }

  private switchHosts(): string[] {
    return this.plan.stages.flatMap((s) => (s.kind === "hosts" && s.phases.includes("switch") ? s.hosts : []));
  }

  private inStage(stage: HostStage): Host[] {
    return stage.hosts.filter((n) => this.active.has(n)).map((n) => this.byName.get(n)!);
  }

  /**
   * Run a stage; hosts allowed to fail (--allow-partial or a role with allow_partial) are dropped —
   * switched back if they had switched — and the others go on. Any other failure aborts the deploy.
   */
  private async tolerant(fn: () => Promise<unknown>, phase: string, switchingHosts: string[] | null = null): Promise<void> {
    try {
      await fn();
    } catch (e) {
      if (!(e instanceof StageError) || this.ctx.signal.aborted) throw e;
      const failedHosts = new Set(e.failed.map((f) => f.host));
      const hard = e.failed.filter((f) => !this.tolerated(f.host));
      const remaining = [...this.active].filter((n) => !failedHosts.has(n));
      // A host that timed out in the switch may or may not have switched: switching it back is
      // harmless (the previous release is there), leaving it on the new one is not.
      // So may one whose switch moved nginx's upstream before failing (cutover): going back is harmless there too.
      const maybeSwitched = e.failed.filter((f) => f.error instanceof StepTimeoutError || this.plan.recovery[f.host]?.switchIsNotAtomic).map((f) => f.host);
      if (switchingHosts)
        this.switched = [
          ...new Set([
            ...this.switched.filter((n) => !switchingHosts.includes(n)),
            ...switchingHosts.filter((n) => !failedHosts.has(n) || maybeSwitched.includes(n)),
          ]),
        ];
      if (hard.length || remaining.length === 0 || phase === "migrate") throw e;
      for (const f of e.failed) {
        this.active.delete(f.host);
        this.dropped.push({ host: f.host, phase, error: f.error });
        this.ctx.bus.warn(`${f.host} failed in ${phase} and is left out (partial deploy allowed): ${f.error.message.split("\n")[0]}`);
      }
      const wasSwitched = this.restarted || phase.includes("restart") ? e.failed.map((f) => f.host) : switchingHosts ? maybeSwitched : [];
      await recover(
        this.ctx,
        this.plan,
        e.failed.map((f) => this.byName.get(f.host)!),
        wasSwitched,
        wasSwitched.length > 0,
      );
    }
  }

  private tolerated(name: string): boolean {
    return this.opts.allowPartial === true || (this.opts.rolesMayFail !== false && isPartialHost(this.ctx, this.byName.get(name)!));
  }

  /** Summary lines for hosts left out, appended to the result or the failure. */
  droppedSummary(): string {
    return this.dropped
      .map((d) =>
        d.phase === "check"
          ? `\n  ${d.host}: UNREACHABLE (left out, nothing changed there): ${d.error.message.split("\n")[0]}`
          : `\n  ${d.host}: FAILED in ${d.phase} (left out); current still ${this.plan.previous[d.host] ?? "(none)"}: ${d.error.message.split("\n")[0]}`,
      )
      .join("");
  }
}
