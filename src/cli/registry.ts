/** Every verb, its one-line summary and how to load it. Verbs load lazily so `--help` stays instant. */
export interface VerbModule {
  run(args: string[], globals: Globals): Promise<number>;
}

export interface Globals {
  config?: string;
  json: boolean;
  verbose: boolean;
  /** `--no-color`: no colour codes (NO_COLOR does the same). */
  noColor?: boolean;
  env?: string;
}

export interface VerbSpec {
  name: string;
  needsEnv: boolean;
  summary: string;
  load: () => Promise<VerbModule>;
}

export const VERBS: VerbSpec[] = [
  { name: "init", needsEnv: false, summary: "write a commented starter slipway.yml", load: () => import("./verbs/init.js") },
  { name: "config", needsEnv: false, summary: "config validate | schema  (and <env> config print)", load: () => import("./verbs/config.js") },
  { name: "demo", needsEnv: false, summary: "deploy the bundled example app to local hosts, roll back, clean up", load: () => import("./verbs/demo.js") },
  {
    name: "secrets",
    needsEnv: false,
    summary: "keygen | encrypt <plain.yml> <out> | decrypt <file>: the encrypted secrets file",
    load: () => import("./verbs/secrets.js"),
  },
  { name: "completion", needsEnv: false, summary: "bash | zsh | fish: print a shell completion script", load: () => import("./verbs/completion.js") },
  {
    name: "state",
    needsEnv: false,
    summary: "import [--from state.db]: copy a SQLite state store into the team's PostgreSQL store (state: postgres)",
    load: () => import("./verbs/state.js"),
  },
  {
    name: "serve",
    needsEnv: false,
    summary: "serve the HTTP API (environments, history, run events) with token auth; loopback unless TLS",
    load: () => import("./verbs/serve.js"),
  },
  {
    name: "tokens",
    needsEnv: false,
    summary: "create --name N --role deployer|viewer | list | revoke <name>: API tokens for serve",
    load: () => import("./verbs/tokens.js"),
  },
  { name: "version", needsEnv: false, summary: "print the version", load: () => import("./verbs/version.js") },
  {
    name: "deploy",
    needsEnv: true,
    summary: "build a new release on every host and switch to it (--plan to preview)",
    load: () => import("./verbs/deploy.js"),
  },
  {
    name: "promote",
    needsEnv: true,
    summary: "promote --from qa: deploy exactly the commit another environment runs",
    load: () => import("./verbs/promote.js"),
  },
  {
    name: "cut",
    needsEnv: true,
    summary: "cut --from main [--ref C]: point the staging branch at a commit (fast-forward only) and push",
    load: () => import("./verbs/cut.js"),
  },
  { name: "rollback", needsEnv: true, summary: "switch back to the previous good release, or to a named one", load: () => import("./verbs/rollback.js") },
  { name: "status", needsEnv: true, summary: "what runs, lock, deploy in flight, health, pending (exit 1 if not ok)", load: () => import("./verbs/status.js") },
  { name: "pending", needsEnv: true, summary: "commits and files a deploy would bring (--ref R)", load: () => import("./verbs/pending.js") },
  { name: "releases", needsEnv: true, summary: "list releases per host with status", load: () => import("./verbs/releases.js") },
  {
    name: "verify-release",
    needsEnv: true,
    summary: "files of the current release changed on the hosts since it was built (exit 1 if any)",
    load: () => import("./verbs/verify-release.js"),
  },
  { name: "history", needsEnv: true, summary: "show the deploy log kept on the hosts (or --local: the state store)", load: () => import("./verbs/history.js") },
  { name: "approve", needsEnv: true, summary: "approve an exact commit for the approvals gate (-m why)", load: () => import("./verbs/approve.js") },
  { name: "approvals", needsEnv: true, summary: "list stored approvals [ref] and what the gate makes of them", load: () => import("./verbs/approvals.js") },
  { name: "lock", needsEnv: true, summary: "lock status | acquire -m reason | release", load: () => import("./verbs/lock.js") },
  {
    name: "db",
    needsEnv: true,
    summary: "backup | backups | verify | restore | alters | clone: the environment's databases",
    load: () => import("./verbs/db.js"),
  },
  {
    name: "announce",
    needsEnv: true,
    summary: "announce a downtime (--start --duration --nature --affected --experience): stored and sent",
    load: () => import("./verbs/announce.js"),
  },
  { name: "announcements", needsEnv: true, summary: "list the downtime announcements", load: () => import("./verbs/announcements.js") },
  { name: "tasks", needsEnv: true, summary: 'tasks | add "text" [--when before|after] [--ref R] | done <id> -m note', load: () => import("./verbs/tasks.js") },
  { name: "cleanup", needsEnv: true, summary: "remove old, failed and bad releases beyond keep_releases", load: () => import("./verbs/cleanup.js") },
  {
    name: "setup-release",
    needsEnv: true,
    summary: "build a private release (not switched to, kept --keep-days) and print its path",
    load: () => import("./verbs/setup-release.js"),
  },
  { name: "clean-releases", needsEnv: true, summary: "remove failed releases and expired private ones", load: () => import("./verbs/clean-releases.js") },
  {
    name: "prestep",
    needsEnv: true,
    summary: "start a detached pre-step ahead of a deploy; --check (exit 0 done, 1 failed, 3 running), --wait",
    load: () => import("./verbs/prestep.js"),
  },
  { name: "service", needsEnv: true, summary: "service <name|all> start|stop|restart|reload|status", load: () => import("./verbs/service.js") },
  {
    name: "check-services",
    needsEnv: true,
    summary: "list services in an unexpected state on every host (exit 1 if any)",
    load: () => import("./verbs/check-services.js"),
  },
  {
    name: "downtime",
    needsEnv: true,
    summary: "downtime start [--message M] [--kill-after 60s] | end | status: maintenance page + services",
    load: () => import("./verbs/downtime.js"),
  },
  {
    name: "after-reboot",
    needsEnv: true,
    summary: "reboot hooks, then services in order with health checks; report what is unhealthy",
    load: () => import("./verbs/after-reboot.js"),
  },
  {
    name: "update-config",
    needsEnv: true,
    summary: "render settings files and push them (diff first, 0600 for secrets, drift guard); --diff, --restart",
    load: () => import("./verbs/update-config.js"),
  },
  {
    name: "run",
    needsEnv: true,
    summary: "run a command in the current release on hosts (--role R: its primary) with the app's env",
    load: () => import("./verbs/run.js"),
  },
  { name: "logs", needsEnv: true, summary: "service logs of every host, prefixed; -f follows, -n, --since", load: () => import("./verbs/logs.js") },
  { name: "ssh", needsEnv: true, summary: "interactive shell in the current release of a host or a role's primary", load: () => import("./verbs/ssh.js") },
  {
    name: "config",
    needsEnv: true,
    summary: "config print (resolved, secrets redacted) | config drift (files changed on hosts by hand)",
    load: () => import("./verbs/config.js"),
  },
];

export const GLOBAL_VERBS = new Set(VERBS.filter((v) => !v.needsEnv).map((v) => v.name));

export function findVerb(name: string, needsEnv: boolean): VerbSpec | undefined {
  return VERBS.find((v) => v.name === name && v.needsEnv === needsEnv);
}
