/** The steps of a plan, in order: what the apply runner walks and `--plan` prints. */
import type { HostScript } from "../commands/script.js";
import type { Phase } from "./phases.js";

export type Stage =
  | { kind: "upload"; phase: "fetch"; hosts: string[] }
  | {
      kind: "hosts";
      phases: Phase[];
      hosts: string[];
      scripts: Record<string, HostScript> /** rolling deploys: which batch */;
      batch?: { index: number; of: number };
    }
  | { kind: "local"; phase: Phase; when: "before" | "after"; script: HostScript }
  /** Required pre-steps must be done (or are started and waited for) before migrations and the switch. */
  | { kind: "gate"; gate: "presteps" }
  /** `--batch-wait` between rolling batches. */
  | { kind: "wait"; ms: number };
