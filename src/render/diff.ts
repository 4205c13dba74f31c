/**
 * `diff -u` in memory (Myers' O(ND) line diff). update-config used to write both sides to temp
 * files for GNU diff, which put secret-bearing plaintext on disk; settings files are small, so a
 * 100-line diff here beats adding a dependency (and keeps the plaintext in this process).
 */

type Op = { t: " " | "-" | "+"; line: string };

const CONTEXT = 3;

function lines(text: string | null): { lines: string[]; noEol: boolean } {
  if (!text) return { lines: [], noEol: false };
  const noEol = !text.endsWith("\n");
  const ls = text.split("\n");
  if (!noEol) ls.pop();
  return { lines: ls, noEol };
}

/** The shortest edit script from a to b (Myers 1986, with a trace for backtracking). */
function editScript(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const off = n + m + 1;
  const v = new Int32Array(2 * off + 1);
  const trace: Int32Array[] = [];
  let done = n === 0 && m === 0;
  for (let d = 0; d <= n + m && !done; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1]! < v[off + k + 1]!) ? v[off + k + 1]! : v[off + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) x++, y++;
      v[off + k] = x;
      if (x >= n && y >= m) {
        done = true;
        break;
      }
    }
  }
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const tv = trace[d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && tv[off + k - 1]! < tv[off + k + 1]!) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : tv[off + prevK]!;
    const prevY = d === 0 ? 0 : prevX - prevK;
    while (x > prevX && y > prevY) ops.push({ t: " ", line: a[--x]! }), y--;
    if (d > 0) {
      if (x === prevX) ops.push({ t: "+", line: b[--y]! });
      else ops.push({ t: "-", line: a[--x]! });
    }
  }
  return ops.reverse();
}

const range = (start: number, count: number) => (count === 1 ? `${start}` : `${count === 0 ? start - 1 : start},${count}`);

/** Unified diff of what the host has (null: nothing) and what would be pushed; "" when equal. */
export function unifiedDiff(label: string, before: string | null, after: string): string {
  if ((before ?? "") === after) return "";
  const A = lines(before);
  const B = lines(after);
  // Compare lines with their missing final newline, as diff does, so "a" vs "a\n" differs.
  const tag = (l: { lines: string[]; noEol: boolean }) => l.lines.map((s, i) => (l.noEol && i === l.lines.length - 1 ? `${s}\0noeol` : s));
  const ops = editScript(tag(A), tag(B));
  const changes = ops.map((o, i) => (o.t === " " ? -1 : i)).filter((i) => i >= 0);
  const out = [`--- ${label} (on host)`, `+++ ${label} (new)`];
  // Line numbers before each op.
  const posA: number[] = [];
  const posB: number[] = [];
  let ia = 1;
  let ib = 1;
  for (const o of ops) {
    posA.push(ia);
    posB.push(ib);
    if (o.t !== "+") ia++;
    if (o.t !== "-") ib++;
  }
  let c = 0;
  while (c < changes.length) {
    const first = Math.max(0, changes[c]! - CONTEXT);
    let last = changes[c]!;
    while (c + 1 < changes.length && changes[c + 1]! - last <= 2 * CONTEXT) last = changes[++c]!;
    c++;
    const end = Math.min(ops.length - 1, last + CONTEXT);
    const hunk = ops.slice(first, end + 1);
    const countA = hunk.filter((o) => o.t !== "+").length;
    const countB = hunk.filter((o) => o.t !== "-").length;
    out.push(`@@ -${range(posA[first]!, countA)} +${range(posB[first]!, countB)} @@`);
    for (const o of hunk) {
      const noEol = o.line.endsWith("\0noeol");
      out.push(`${o.t}${noEol ? o.line.slice(0, -6) : o.line}`);
      if (noEol) out.push("\\ No newline at end of file");
    }
  }
  return out.join("\n") + "\n";
}
