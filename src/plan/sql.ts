/**
 * Splitting SQL files into statements for the engines: quotes, comments, `DELIMITER` lines and
 * `$tag$` strings, with each statement's code (comments and quoted text blanked) for classification.
 */
export type Engine = "postgres" | "mysql";

/** One statement of a file: its text, the same text with comments and quoted content blanked, its first line. */
export interface SqlStatement {
  sql: string;
  /** Same length as `sql`: comments are spaces, quoted content is spaces (quotes kept); for keyword checks. */
  code: string;
  /** 1-based line in the file where the statement's first token is. */
  line: number;
}

export interface SqlScan {
  statements: SqlStatement[];
  /** Set when the file ends inside a quote or a comment. */
  unterminated?: { what: string; line: number };
}

const DELIMITER_LINE = /^[ \t]*delimiter[ \t]+(\S+)[ \t]*(?:\r?\n|$)/i;
const DOLLAR_TAG = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/;

/**
 * Split SQL into statements the way the engine's client does: `;` (or the `DELIMITER` in force,
 * mysql) outside '…', "…", `…` (with '' and, on mysql, backslash escapes), `-- ` and `#` (mysql)
 * line comments, /* *\/ comments and, on postgres, $tag$ strings. `DELIMITER` lines are not part
 * of any statement; statements holding only comments are dropped.
 */
export function scanSql(sql: string, engine: Engine = "mysql"): SqlScan {
  const my = engine === "mysql";
  const code: string[] = [];
  const statements: SqlStatement[] = [];
  let delim = ";";
  let start = 0;
  let line = 1;
  const lineAt: number[] = []; // line number at each index, filled as we go
  const blank = (c: string) => (c === "\n" ? "\n" : " ");
  const flush = (end: number, next: number) => {
    const c = code.slice(start, end).join("");
    const lead = c.search(/\S/);
    if (lead >= 0) {
      // Trailing comments stay with the statement text (harmless); leading whitespace does not.
      const text = sql.slice(start + lead, end).trimEnd();
      statements.push({ sql: text, code: c.slice(lead, lead + text.length), line: lineAt[start + lead] ?? line });
    }
    start = next;
  };
  let i = 0;
  const put = (ch: string) => {
    lineAt[code.length] = line;
    code.push(ch);
    if (sql[code.length - 1] === "\n") line++;
  };
  const n = sql.length;
  while (i < n) {
    const ch = sql[i]!;
    // DELIMITER lines (mysql client command): only at the start of a line outside any quote or comment.
    if (my && (i === 0 || sql[i - 1] === "\n")) {
      const m = DELIMITER_LINE.exec(sql.slice(i, i + 200));
      if (m) {
        flush(i, i);
        for (let k = 0; k < m[0].length; k++) put(blank(sql[i + k]!));
        i += m[0].length;
        start = i;
        delim = m[1]!;
        continue;
      }
    }
    if (sql.startsWith(delim, i)) {
      for (let k = 0; k < delim.length; k++) put(" ");
      flush(i, i + delim.length);
      i += delim.length;
      continue;
    }
    if (ch === "'" || ch === '"' || (my && ch === "`")) {
      const openLine = line;
      // Backslash escapes: mysql strings, and postgres E'...' strings.
      const escapes = ch !== "`" && (my || (ch === "'" && /[Ee]/.test(sql[i - 1] ?? "") && !/[A-Za-z0-9_]/.test(sql[i - 2] ?? "")));
      put(ch);
      i++;
      let closed = false;
      while (i < n) {
        const c = sql[i]!;
        if (escapes && c === "\\" && i + 1 < n) {
          put(" ");
          put(blank(sql[i + 1]!));
          i += 2;
          continue;
        }
        if (c === ch) {
          put(ch);
          i++;
          closed = true;
          break;
        }
        put(blank(c));
        i++;
      }
      if (!closed) return { statements, unterminated: { what: `quote ${ch}`, line: openLine } };
      continue;
    }
    const two = sql.slice(i, i + 2);
    if ((two === "--" && (!my || i + 2 >= n || /\s/.test(sql[i + 2]!))) || (my && ch === "#")) {
      while (i < n && sql[i] !== "\n") put(" "), i++;
      continue;
    }
    if (two === "/*") {
      const openLine = line;
      // mysql executable comments (/*! … */, /*M! … */) are code to the server: kept, not blanked.
      const keep = my && /^\/\*M?!/.test(sql.slice(i, i + 4));
      const out = (c: string) => put(keep ? c : blank(c));
      let depth = 0;
      let closed = false;
      while (i < n) {
        if (sql.startsWith("/*", i)) {
          depth = my ? 1 : depth + 1;
          out("/"), out("*");
          i += 2;
        } else if (sql.startsWith("*/", i)) {
          out("*"), out("/");
          i += 2;
          if (--depth === 0) {
            closed = true;
            break;
          }
        } else out(sql[i]!), i++;
      }
      if (!closed) return { statements, unterminated: { what: "comment /*", line: openLine } };
      continue;
    }
    if (!my && ch === "$" && !/[A-Za-z0-9_]/.test(sql[i - 1] ?? "")) {
      const m = DOLLAR_TAG.exec(sql.slice(i, i + 80));
      if (m) {
        const tag = m[0];
        const end = sql.indexOf(tag, i + tag.length);
        if (end < 0) return { statements, unterminated: { what: `string ${tag}`, line } };
        for (const c of tag) put(c);
        for (let k = i + tag.length; k < end; k++) put(blank(sql[k]!));
        for (const c of tag) put(c);
        i = end + tag.length;
        continue;
      }
    }
    put(ch);
    i++;
  }
  flush(n, n);
  return { statements };
}

/** The statements of a file (see scanSql), as text. */
export function splitStatements(sql: string, engine: Engine = "mysql"): string[] {
  return scanSql(sql, engine).statements.map((s) => s.sql);
}

/** A statement's first line of code (leading comments skipped), short enough for one report line. */
export function firstLine(st: Pick<SqlStatement, "sql" | "code">, max = 72): string {
  const at = Math.max(0, st.code.search(/\S/));
  const l = st.sql.slice(at).split("\n")[0]!.trim().replace(/\s+/g, " ");
  return l.length > max ? `${l.slice(0, max - 1)}…` : l;
}
