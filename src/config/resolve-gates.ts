/** `gates:` → typed gate settings: durations in ms, tokens looked up in the environment's secrets. */
import { UsageError } from "../errors.js";
import type { EnvironmentSpec } from "./resolve-hosts.js";

export interface HttpProbe {
  url: string;
  jsonPath?: string;
  /** The token's value (a secret, already redacted everywhere); never logged. */
  token?: string;
  timeoutMs: number;
}

export type CiGate = ({ kind: "http"; success: string } & HttpProbe) | { kind: "command"; command: string; timeoutMs: number };

export type MetricGate = { name: string; below?: number; above?: number; timeoutMs: number } & (
  | ({ kind: "http" } & HttpProbe)
  | { kind: "command"; command: string; jsonPath?: string }
);

export interface Gates {
  ci?: CiGate;
  metric: MetricGate[];
  requires: { env: string; component: string | null; commit: string }[];
  promotedFrom?: { env: string; minAgeMs: number };
  approvals?: { required: number; from: string[]; noSelfApproval: boolean };
}

const UNIT: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
export function durationMs(d: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(d);
  if (!m) throw new UsageError(`bad duration ${JSON.stringify(d)}`);
  return Number(m[1]) * UNIT[m[2]!]!;
}

export function resolveGates(env: EnvironmentSpec, envName: string, secrets: Record<string, string>): Gates {
  const g = env.gates;
  const at = `environments.${envName}.gates`;
  const token = (name: string | undefined, where: string) => {
    if (!name) return undefined;
    const v = secrets[name];
    if (v === undefined) throw new UsageError(`${at}.${where}.token_secret: ${name} is not in secret_env (set on this machine) or the secrets file`);
    return v;
  };
  if (!g) return { metric: [], requires: [] };
  let ci: CiGate | undefined;
  if (g.ci)
    ci =
      "command" in g.ci
        ? { kind: "command", command: g.ci.command, timeoutMs: durationMs(g.ci.timeout) }
        : {
            kind: "http",
            url: g.ci.url,
            jsonPath: g.ci.json_path,
            token: token(g.ci.token_secret, "ci"),
            success: g.ci.success,
            timeoutMs: durationMs(g.ci.timeout),
          };
  const metric = g.metric.map((m, i): MetricGate => {
    const base = { name: m.name, below: m.below, above: m.above, timeoutMs: durationMs(m.timeout) };
    return m.url
      ? { ...base, kind: "http", url: m.url, jsonPath: m.json_path, token: token(m.token_secret, `metric.${i}`) }
      : { ...base, kind: "command", command: m.command!, jsonPath: m.json_path };
  });
  return {
    ci,
    metric,
    requires: g.requires.map((r) => ({ env: r.env, component: r.component ?? null, commit: r.commit })),
    promotedFrom: g.promoted_from && { env: g.promoted_from.env, minAgeMs: durationMs(g.promoted_from.min_age) },
    approvals: g.approvals && { required: g.approvals.required, from: [...g.approvals.from], noSelfApproval: g.approvals.no_self_approval },
  };
}
