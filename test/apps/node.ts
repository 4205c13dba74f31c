/**
 * A Node app with no dependencies (package-lock.json lists none, so `npm ci` fetches nothing):
 * server.js serves a page counting rows and /health; migrate.js applies db/migrations/*.sql in
 * order, recording them in schema_migrations (`node migrate.js status` prints the schema state).
 * Node has no built-in PostgreSQL client, so both talk to the server through `psql`, with the
 * password in PGPASSWORD of that child only. Version 2 adds a migration (a nullable column).
 */
import type { AppFiles } from "./index.js";

const DB = `// The database from DATABASE_URL or DB_* variables, reached through psql.
const { spawnSync } = require("node:child_process");

function settings() {
  const url = process.env.DATABASE_URL;
  if (url) {
    const u = new URL(url);
    return { host: u.hostname, port: u.port || "5432", name: decodeURIComponent(u.pathname.slice(1)), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
  }
  const e = process.env;
  return { host: e.DB_HOST || "127.0.0.1", port: e.DB_PORT || "5432", name: e.DB_NAME || "app", user: e.DB_USER || "app", password: e.DB_PASSWORD || "" };
}

/** Run SQL, return the rows as arrays of fields (tab-separated psql output). */
function query(sql) {
  const s = settings();
  const r = spawnSync("psql", ["-X", "-q", "-A", "-t", "-F", "\\t", "-v", "ON_ERROR_STOP=1", "-h", s.host, "-p", s.port, "-U", s.user, "-d", s.name], {
    input: sql,
    encoding: "utf8",
    env: { ...process.env, PGPASSWORD: s.password, PGCONNECT_TIMEOUT: "5" },
  });
  if (r.status !== 0) throw new Error("psql failed: " + (r.stderr || r.error));
  return r.stdout.split("\\n").filter(Boolean).map((l) => l.split("\\t"));
}

module.exports = { query };
`;

const MIGRATE = `// Applies pending db/migrations/*.sql in name order; \`node migrate.js status\` lists them.
const fs = require("node:fs");
const path = require("node:path");
const { query } = require("./db");

const dir = path.join(__dirname, "db", "migrations");
const files = fs.readdirSync(dir).filter((f) => f.endsWith(".sql")).sort();
query("CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
const applied = new Set(query("SELECT name FROM schema_migrations").map((r) => r[0]));
if (process.argv[2] === "status") {
  for (const f of files) console.log((applied.has(f) ? "up   " : "down ") + f);
  for (const f of applied) if (!files.includes(f)) console.log("up   " + f + " (no file)");
} else {
  for (const f of files) {
    if (applied.has(f)) continue;
    const sql = fs.readFileSync(path.join(dir, f), "utf8");
    query("BEGIN;\\n" + sql + "\\nINSERT INTO schema_migrations (name) VALUES ('" + f.replace(/'/g, "''") + "');\\nCOMMIT;");
    console.log("applied " + f);
  }
}
`;

const SERVER = `const http = require("node:http");
const fs = require("node:fs");
const { query } = require("./db");

const VERSION = fs.readFileSync(__dirname + "/VERSION", "utf8").trim();
const BUILT = fs.existsSync(__dirname + "/build/stamp.txt") ? "built" : "unbuilt";

http
  .createServer((req, res) => {
    try {
      if (req.url === "/health") {
        query("SELECT 1");
        return res.end("ok\\n");
      }
      const [[count]] = query("SELECT count(*) FROM items");
      res.end("node app (" + BUILT + ") v" + VERSION + ": " + count + " items\\n");
    } catch (e) {
      res.statusCode = 500;
      res.end("error\\n");
    }
  })
  .listen(Number(process.env.PORT || 3000), "127.0.0.1");
`;

// An interactive management command: asks for a name on the terminal and inserts it.
const SEED = `const readline = require("node:readline");
const { query } = require("./db");

const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
rl.question("item name? ", (name) => {
  query("INSERT INTO items (name) VALUES ('" + name.replace(/'/g, "''") + "')");
  console.log("seeded " + JSON.stringify(name) + ", items: " + query("SELECT count(*) FROM items")[0][0]);
  rl.close();
});
`;

const PACKAGE = {
  name: "shipyard-node",
  version: "1.0.0",
  private: true,
  scripts: {
    start: "node server.js",
    build: "node -e \"require('fs').mkdirSync('build',{recursive:true});require('fs').writeFileSync('build/stamp.txt','built\\\\n')\"",
    migrate: "node migrate.js",
  },
};

const LOCK = { name: "shipyard-node", version: "1.0.0", lockfileVersion: 3, requires: true, packages: { "": { name: "shipyard-node", version: "1.0.0" } } };

/** The app's files at `version` (1 or 2). */
export function nodeApp(version: number): AppFiles {
  return {
    VERSION: `${version}\n`,
    "package.json": `${JSON.stringify(PACKAGE, null, 2)}\n`,
    "package-lock.json": `${JSON.stringify(LOCK, null, 2)}\n`,
    "db.js": DB,
    "migrate.js": MIGRATE,
    "server.js": SERVER,
    "seed.js": SEED,
    ".gitignore": "node_modules/\nbuild/\n",
    "db/migrations/001_items.sql": "CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL);\n",
    "db/migrations/002_note.sql": version >= 2 ? "ALTER TABLE items ADD COLUMN note text;\n" : null,
  };
}
