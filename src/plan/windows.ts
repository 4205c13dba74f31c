/**
 * Deploy windows and freezes, pure: is `now` inside the allowed windows and outside every deny
 * (plus the downtime rules for a deploy with downtime), which rule decides, and — when refused —
 * the next instant a deploy would be allowed. Cron starts are read by croner in the rule's IANA
 * timezone, so DST changes move the UTC start, never the wall time; durations are elapsed time.
 */
import { Cron } from "croner";
import type { WindowRule, WindowRules, Windows } from "../config/resolve-windows.js";
import { formatUtc, formatZoned } from "../config/zoned.js";

export interface WindowVerdict {
  ok: boolean;
  /** The rule that decided: the allow window a deploy is inside, or the rule that blocks it. */
  rule?: { name: string; kind: "allow" | "deny"; set: "all deploys" | "downtime"; reason?: string };
  line: string;
  /** When refused: the first instant every rule allows (within a year). */
  next?: Date;
  evidence: Record<string, unknown>;
}

const HORIZON_MS = 366 * 86_400_000;
const crons = new Map<string, Cron>();
function cronOf(r: Extract<WindowRule, { kind: "cron" }>): Cron {
  const key = `${r.timezone} ${r.cron}`;
  let c = crons.get(key);
  if (!c) {
    c = new Cron(r.cron, { timezone: r.timezone, paused: true });
    crons.set(key, c);
  }
  return c;
}

/** The window of `r` containing `t` (the earliest-starting one), or null. */
export function activeWindow(r: WindowRule, t: Date): { start: Date; end: Date } | null {
  if (r.kind === "dates") return r.from <= t && t < r.until ? { start: r.from, end: r.until } : null;
  const start = cronOf(r).nextRun(new Date(t.getTime() - r.durationMs));
  if (!start || start > t) return null;
  return { start, end: new Date(start.getTime() + r.durationMs) };
}

/** The first window start of `r` after `t`, or null. */
function nextStart(r: WindowRule, t: Date): Date | null {
  if (r.kind === "dates") return r.from > t ? r.from : null;
  return cronOf(r).nextRun(t);
}

type RuleSet = { label: "all deploys" | "downtime"; rules: WindowRules };

function sets(w: Windows, needsDowntime: boolean): RuleSet[] {
  const s: RuleSet[] = [{ label: "all deploys", rules: w }];
  if (needsDowntime) s.push({ label: "downtime", rules: w.downtime });
  return s;
}

type Block =
  | { kind: "deny"; set: RuleSet["label"]; rule: WindowRule; until: Date }
  | { kind: "outside"; set: RuleSet["label"]; rules: WindowRule[]; next: Date | null };

function blocks(ss: RuleSet[], t: Date): { blocked: Block[]; inside: { set: RuleSet["label"]; rule: WindowRule; end: Date }[] } {
  const blocked: Block[] = [];
  const inside: { set: RuleSet["label"]; rule: WindowRule; end: Date }[] = [];
  for (const s of ss) {
    for (const r of s.rules.deny) {
      const a = activeWindow(r, t);
      if (a) blocked.push({ kind: "deny", set: s.label, rule: r, until: a.end });
    }
    if (!s.rules.allow.length) continue;
    const hit = s.rules.allow.map((r) => ({ r, a: activeWindow(r, t) })).find((x) => x.a);
    if (hit) inside.push({ set: s.label, rule: hit.r, end: hit.a!.end });
    else {
      const starts = s.rules.allow.map((r) => nextStart(r, t)).filter((d): d is Date => d !== null);
      blocked.push({ kind: "outside", set: s.label, rules: s.rules.allow, next: starts.length ? new Date(Math.min(...starts.map((d) => d.getTime()))) : null });
    }
  }
  return { blocked, inside };
}

/** The first instant at or after `from` that every rule allows, or null within a year. */
export function nextAllowed(w: Windows, from: Date, needsDowntime: boolean): Date | null {
  const ss = sets(w, needsDowntime);
  let t = from;
  for (let i = 0; i < 5000 && t.getTime() - from.getTime() <= HORIZON_MS; i++) {
    const { blocked } = blocks(ss, t);
    if (!blocked.length) return t;
    // Nothing earlier than the latest of these can be allowed: jump there and look again.
    let jump = 0;
    for (const b of blocked) {
      const at = b.kind === "deny" ? b.until : b.next;
      if (!at) return null;
      jump = Math.max(jump, at.getTime());
    }
    t = new Date(jump);
  }
  return null;
}

const describeRule = (r: WindowRule) =>
  r.kind === "cron" ? `"${r.name}" (cron ${r.cron} for ${r.duration}, ${r.timezone})` : `"${r.name}" (${r.text}, ${r.timezone})`;
const at = (d: Date, tz: string) => (tz === "UTC" ? formatUtc(d) : `${formatZoned(d, tz)} = ${formatUtc(d)}`);

export function evaluateWindows(w: Windows, now: Date, needsDowntime: boolean): WindowVerdict {
  const ss = sets(w, needsDowntime);
  const { blocked, inside } = blocks(ss, now);
  const kind = needsDowntime ? "a deploy with downtime" : "a deploy";
  const evidence: Record<string, unknown> = { now: now.toISOString(), timezone: w.timezone, needsDowntime };
  if (!blocked.length) {
    const last = inside.at(-1);
    const where = inside.length
      ? `inside ${inside.map((x) => `${x.set === "downtime" ? "downtime " : ""}allow ${describeRule(x.rule)} until ${at(x.end, x.rule.timezone)}`).join(" and ")}`
      : "no window rule blocks it";
    evidence.inside = inside.map((x) => ({ rule: x.rule.name, set: x.set, until: x.end.toISOString() }));
    return {
      ok: true,
      ...(last ? { rule: { name: last.rule.name, kind: "allow" as const, set: last.set } } : {}),
      line: `${at(now, w.timezone)}: ${kind} is allowed, ${where}`,
      evidence,
    };
  }
  const first = blocked.find((b) => b.kind === "deny") ?? blocked[0]!;
  const why =
    first.kind === "deny"
      ? `inside ${first.set === "downtime" ? "downtime " : ""}deny ${describeRule(first.rule)} until ${at(first.until, first.rule.timezone)}${first.rule.reason ? `: ${first.rule.reason}` : ""}`
      : `outside every ${first.set === "downtime" ? "downtime " : ""}allow window (${first.rules.map(describeRule).join(", ")})`;
  const next = nextAllowed(w, now, needsDowntime);
  const tz = first.kind === "deny" ? first.rule.timezone : (first.rules[0]?.timezone ?? w.timezone);
  const more = blocked.length > 1 ? ` (and ${blocked.length - 1} more rule${blocked.length > 2 ? "s" : ""})` : "";
  evidence.blocked = blocked.map((b) =>
    b.kind === "deny" ? { deny: b.rule.name, set: b.set, until: b.until.toISOString() } : { outside: b.rules.map((r) => r.name), set: b.set },
  );
  if (next) evidence.next = next.toISOString();
  const reason = first.kind === "deny" ? first.rule.reason : undefined;
  return {
    ok: false,
    rule: {
      name: first.kind === "deny" ? first.rule.name : first.rules.map((r) => r.name).join(", "),
      kind: first.kind === "deny" ? "deny" : "allow",
      set: first.set,
      ...(reason ? { reason } : {}),
    },
    line: `${at(now, w.timezone)}: ${kind} is refused, ${why}${more}; next allowed ${next ? at(next, tz) : "not within a year"}`,
    ...(next ? { next } : {}),
    evidence,
  };
}
