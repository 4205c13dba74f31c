/**
 * What the database host prints back while checking a clone: `C<TAB>i` before check i's rows and
 * `R<TAB>row` for each of its rows (tab-separated columns). Rows are only counted and shown
 * (through the redactor and sanitiser); anything else is a problem reported as a warning.
 */
import { excerpt } from "./host-input.js";

export function parseCheckOutput(lines: string[], checks: number): { rows: string[][]; problems: string[] } {
  const rows: string[][] = Array.from({ length: checks }, () => []);
  const problems: string[] = [];
  let current: number | null = null;
  for (const line of lines) {
    let m: RegExpExecArray | null;
    if ((m = /^C\t([0-9]{1,6})$/.exec(line))) {
      const i = Number(m[1]);
      if (i < checks) current = i;
      else {
        current = null;
        problems.push(`check ${i}: no such check`);
      }
    } else if (line.startsWith("R\t") && current !== null) rows[current]!.push(line.slice(2));
    else if (line !== "") problems.push(`unexpected line from the checks: ${excerpt(line)}`);
  }
  return { rows, problems };
}
