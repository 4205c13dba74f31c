/**
 * The plan shape of the operations verbs (service, downtime, after-reboot): stages in order, each
 * a barrier across hosts, most of them one script per host. A pure planner builds it; apply walks
 * it; `--plan` prints it (formatOpsPlan) or emits it as JSON.
 */
import type { HostScript } from "../commands/script.js";

export type OpsStage =
  /** One script per host, one round trip each; `done` are the summary lines once every host finished. */
  | { kind: "hosts"; label: string; hosts: string[]; scripts: Record<string, HostScript>; done?: string[] }
  /**
   * downtime start: wait up to `waitS` seconds (on the hosts) for the stopped services' processes
   * to exit; what happens to those left is decided when we see them: terminate (`--kill-after`),
   * ask on a terminal (waiting `retryS` more each time), or stop with the list.
   */
  | { kind: "stragglers"; hosts: string[]; waitS: number; retryS: number; onLeft: "kill" | "ask" | "fail" }
  /** after-reboot: probe every service once and report those still unhealthy (exit 1 if any). */
  | { kind: "report"; hosts: string[] };

/** What every operations plan says: the verb, where it runs, whether it holds the lock, its stages. */
export interface OpsPlan {
  verb: "service" | "downtime" | "after-reboot";
  /** start/stop/... for `service` and `downtime`. */
  action?: string;
  env: string;
  hosts: string[];
  /** The host the environment lock is taken on around the stages, or null when the verb takes none. */
  lock: string | null;
  stages: OpsStage[];
  /** Each host's deploy_to, so `--plan` can group hosts whose commands differ only by it. */
  deployTo?: Record<string, string>;
}
