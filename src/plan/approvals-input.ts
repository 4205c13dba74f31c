/**
 * Approvals read back from the primary (`<commit>/<who>.json<TAB>{...}` lines, commands/approvals.ts)
 * are parsed strictly here; a malformed line is a problem to warn about, never fatal. The approvals
 * gate's decision is pure: distinct approvers in `from` for this exact commit, the deployer's own
 * approval left out under no_self_approval.
 */
import { z } from "zod";
import { APPROVER, type Approval } from "../commands/approvals.js";
import { COMMIT } from "../config/paths.js";
import { excerpt } from "./host-input.js";

export type { Approval } from "../commands/approvals.js";

const approvalSchema = z
  .object({
    commit: z.string().regex(COMMIT),
    who: z.string().regex(APPROVER),
    by: z.string().max(512),
    at: z
      .string()
      .max(64)
      .refine((s) => !Number.isNaN(Date.parse(s)), { error: "expected an ISO time" }),
    ref: z.string().max(512),
    why: z.string().max(4096),
  })
  .strict();

export function parseApprovals(out: string): { approvals: Approval[]; problems: string[] } {
  const approvals: Approval[] = [];
  const problems: string[] = [];
  for (const line of out.split("\n")) {
    if (!line.trim()) continue;
    const tab = line.indexOf("\t");
    const file = tab < 0 ? line : line.slice(0, tab);
    const m = /^([0-9a-f]{40})\/([^/]+)\.json$/.exec(file);
    if (!m) {
      problems.push(`approvals: unexpected file ${excerpt(file)}`);
      continue;
    }
    let data: unknown;
    try {
      data = JSON.parse(line.slice(tab + 1));
    } catch {
      problems.push(`approvals/${excerpt(file)} is not JSON`);
      continue;
    }
    const r = approvalSchema.safeParse(data);
    if (!r.success) {
      const i = r.error.issues[0]!;
      problems.push(`approvals/${excerpt(file)}${i.path.length ? `.${i.path.join(".")}` : ""}: ${i.message}`);
      continue;
    }
    if (r.data.commit !== m[1] || r.data.who !== m[2]) {
      problems.push(`approvals/${excerpt(file)}: its commit or approver does not match its file name; ignored`);
      continue;
    }
    approvals.push(r.data);
  }
  approvals.sort((a, b) => a.at.localeCompare(b.at));
  return { approvals, problems };
}

/** The user part of `user@host`. */
export const userOf = (by: string) => by.replace(/@[^@]*$/, "");

export interface ApprovalDecision {
  ok: boolean;
  counted: string[];
  /** Approvals that do not count, with why (not in `from`, own approval). */
  ignored: { who: string; why: string }[];
  line: string;
}

export function decideApprovals(
  rule: { required: number; from: string[]; noSelfApproval: boolean },
  approvals: Approval[],
  commit: string,
  deployer: string,
): ApprovalDecision {
  const counted: string[] = [];
  const ignored: { who: string; why: string }[] = [];
  for (const a of approvals.filter((x) => x.commit === commit)) {
    if (counted.includes(a.who)) continue;
    if (!rule.from.includes(a.who)) ignored.push({ who: a.who, why: "not in approvals.from" });
    else if (rule.noSelfApproval && a.who === deployer) ignored.push({ who: a.who, why: "the deployer's own approval (no_self_approval)" });
    else counted.push(a.who);
  }
  const ok = counted.length >= rule.required;
  const notes = ignored.map((i) => `${i.who}: ${i.why}`);
  const line =
    `${counted.length} of ${rule.required} approvals of ${commit.slice(0, 12)}` +
    (counted.length ? ` (${counted.join(", ")})` : "") +
    (notes.length ? `; not counted: ${notes.join("; ")}` : "");
  return { ok, counted, ignored, line };
}
