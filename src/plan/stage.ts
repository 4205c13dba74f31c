/** The steps of a plan, in order: what the apply runner walks and `--plan` prints. */
import type { HostScript } from "../commands/script.js";
import type { Phase } from "./phases.js";
import type { FailureHooks, HostRecovery } from "./recovery.js";

export type Stage =
  | {
      kind: "hosts";
      phases: Phase[];
      hosts: string[];
      scripts: Record<string, HostScript>;
      /** The control machine sends each host its files after this stage's script (the fetch section reads them). */
      upload?: boolean;
      /** rolling deploys: which batch */
      batch?: { index: number; of: number };
    }
  | { kind: "local"; phase: Phase; when: "before" | "after"; script: HostScript }
  /** Required pre-steps must be done (or are started and waited for) before migrations and the switch. */
  | { kind: "gate"; gate: "presteps" }
  /** `--batch-wait` between rolling batches. */
  | { kind: "wait"; ms: number }
  /** A database step run by the control machine on the database host (plan/deploy-db.ts). */
  | DbStage
  /** Gates evaluated again right before the switch (a metric such as requests per minute). */
  | { kind: "preflight"; phase: "switch" }
  /** The maintenance page (and, at start, the services) around a deploy that needs downtime. */
  | { kind: "downtime"; action: "start" | "end" };

export type DbStage =
  | { kind: "db"; action: "backup"; db: string; reason: "before-migrate" | "after-migrate" }
  | { kind: "db"; action: "alters"; db: string; files: string[] }
  /** Write each database's schema state (alters after this deploy, backups, schema_status hash) into the release. */
  | { kind: "db"; action: "record"; hosts: string[]; alters: Record<string, { name: string; checksum: string }[]> };

/** What the apply runner needs of any plan that moves `current`: deploys and rollbacks. */
export interface RunnablePlan {
  releaseId: string;
  commit: string;
  hosts: string[];
  /** Each host's current release before the run (what recovery returns to). */
  previous: Record<string, string | null>;
  stages: Stage[];
  /** What a failure does on each host (see plan/recovery.ts), and the on_failure hooks. */
  recovery: Record<string, HostRecovery>;
  onFailure: FailureHooks;
  /** A last summary line after a recovery (a deploy: which release was marked failed). */
  recoveryNote?: string;
}
