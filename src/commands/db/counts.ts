/** Exact per-table row counts of a database, as `table<TAB>rows` lines (for what a restore would lose). */
import type { Database } from "../../config/resolve.js";
import { client, query, withCredentials } from "./client.js";

export function tableRows(db: Database): string {
  if (db.engine === "postgres") {
    const sql =
      // Named as pg_dump's COPY lines name them (schema-qualified, quoted only where needed), like the backup's tables.
      "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name), (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', table_schema, table_name), false, true, '')))[1]::text " +
      "FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE' ORDER BY 1";
    return withCredentials(db, query(db, sql));
  }
  // Two steps on MySQL: the table list builds one UNION query (names quoted by the server itself).
  const list =
    "SELECT CONCAT('SELECT ', QUOTE(table_name), ', COUNT(*) FROM `', REPLACE(table_name, '`', '``'), '`') FROM information_schema.tables " +
    "WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name";
  return withCredentials(
    db,
    `__q=$(${query(db, list)} | awk 'NR > 1 { printf " UNION ALL " } { printf "%s", $0 }') || exit 1\n[ -z "$__q" ] || printf '%s\\n' "$__q" | ${client(db, "sql")}`,
  );
}
