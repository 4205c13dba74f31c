/**
 * The schema history table as read back from the database (src/commands/db/alters.ts readHistory):
 * a first line `TABLE` or `NOTABLE`, then one tab-separated row per applied alter. Every field is
 * checked against a strict format before it can name a file or reach SQL; a malformed row is a
 * problem the caller reports (and `apply` refuses on, so its file cannot run twice).
 */
import { z } from "zod";
import { ALTER_NAME, type AppliedAlter } from "./alters.js";
import { excerpt } from "./host-input.js";

/** The column order readHistory selects. */
export const HISTORY_COLUMNS = ["name", "checksum", "applied_by", "applied_at", "duration_ms", "complete", "statements_done", "statements_total", "release_id"];

const count = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,8})$/)
  .transform(Number);
const optCount = z.union([z.literal("").transform(() => undefined), count]);

const rowSchema = z.object({
  name: z.string().regex(ALTER_NAME),
  checksum: z.string().regex(/^[0-9a-f]{64}$/),
  by: z.string().regex(/^[^\t\n\r]{1,255}$/),
  at: z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
  durationMs: count,
  complete: z.enum(["0", "1"]).transform((v) => v === "1"),
  statementsDone: optCount,
  statementsTotal: optCount,
  release: z.union([z.literal("").transform(() => undefined), z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/)]),
});

export interface HistoryRead {
  /** Whether the history table exists (no table: nothing applied yet). */
  table: boolean;
  applied: AppliedAlter[];
  /** One line per row that could not be read. */
  problems: string[];
}

export function parseAltersHistory(out: string): HistoryRead {
  const lines = out.split("\n");
  const head = lines.shift()?.trim();
  if (head !== "TABLE" && head !== "NOTABLE")
    return { table: false, applied: [], problems: [`history table: unexpected answer ${JSON.stringify(excerpt(head ?? ""))}`] };
  const applied: AppliedAlter[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [i, line] of lines.entries()) {
    if (line === "") continue;
    const f = line.split("\t");
    const r =
      f.length === HISTORY_COLUMNS.length
        ? rowSchema.safeParse({
            name: f[0],
            checksum: f[1],
            by: f[2],
            at: f[3],
            durationMs: f[4],
            complete: f[5],
            statementsDone: f[6],
            statementsTotal: f[7],
            release: f[8],
          })
        : null;
    if (!r?.success) {
      const why = r ? r.error.issues.map((x) => x.path.join(".")).join(", ") : `${f.length} fields, expected ${HISTORY_COLUMNS.length}`;
      problems.push(`history row ${i + 1} is unreadable (${why}): ${JSON.stringify(excerpt(line))}; fix it in the table before applying alters`);
      continue;
    }
    if (seen.has(r.data.name)) {
      problems.push(`history row ${i + 1}: ${r.data.name} is recorded twice`);
      continue;
    }
    seen.add(r.data.name);
    const { release, statementsDone, statementsTotal, ...rest } = r.data;
    applied.push({
      ...rest,
      ...(statementsDone !== undefined ? { statementsDone } : {}),
      ...(statementsTotal !== undefined ? { statementsTotal } : {}),
      ...(release ? { release } : {}),
    });
  }
  return { table: head === "TABLE", applied, problems };
}

/** The `slipway-progress <n>` line of commands/db/alters.ts applyMysqlStatements; null when the row could not be read. */
export function parseProgress(stdout: string): number | null {
  const m = /^slipway-progress (0|[1-9][0-9]{0,8})$/m.exec(stdout);
  return m ? Number(m[1]) : null;
}
