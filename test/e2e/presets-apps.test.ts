/**
 * Real framework apps deployed with their preset over the sshd fleet to PostgreSQL: a generated
 * Django project (Debian's python3-django in a --system-site-packages venv), a Rails 6.1 app
 * (Debian's ruby-rails under puma) and a dependency-free Node app. Each one: deploy with a short
 * config, its migrations create its table, its health-checked supervisord service serves a page
 * from the database, an alias answers through a pseudo-terminal, a second version migrates
 * again, and rollback is refused across that migration until --force.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitApp, djangoApp, nodeApp, railsApp, type AppFiles } from "../apps/index.js";
import { type DbServer, SKIP_DB, startPostgres } from "../dbservers.js";
import { Fleet, freePort, SKIP_FLEET } from "../fleet.js";
import { type CliResult, cliSpawn, MAIN, Repo, runInPty, tmpdir } from "../helpers.js";

const ok = (script: string) => spawnSync("bash", ["-c", script], { stdio: "ignore" }).status === 0;
/** Django, psycopg2 and gunicorn from Debian for /usr/bin/python3; Rails, pg and puma for ruby; npm. */
const HAVE_FRAMEWORKS = ok(
  `/usr/bin/python3 -c 'import django, psycopg2, gunicorn' && ruby -e 'require "rails"; require "pg"; require "puma"' && command -v bundle && command -v npm`,
);
/** On CI a missing framework fails the suite, never skips it. */
const SKIP_APPS = !HAVE_FRAMEWORKS && process.env.CI !== "true";
if (SKIP_APPS)
  console.warn("SKIPPING preset app tests: needs python3-django gunicorn python3-psycopg2 ruby ruby-rails ruby-pg puma bundler (apt-get install ...)");
const SKIP = SKIP_FLEET || SKIP_DB || SKIP_APPS;

let fleet: Fleet;
let pg: DbServer;
const timings: Record<string, Record<string, number>> = {};

beforeAll(async () => {
  if (SKIP) return;
  [fleet, pg] = await Promise.all([Fleet.start(["web1", "db1"]), startPostgres()]);
  fleet.startSupervisord("web1");
}, 90_000);
afterAll(() => {
  if (Object.keys(timings).length) console.log(`preset apps, seconds per app and step (deploy: the slower of the two): ${JSON.stringify(timings)}`);
  fleet?.stop();
  pg?.stop();
});

interface AppCase {
  /** Also the app name, its database (`<app>_db`) and its git repository. */
  app: string;
  files: (version: number) => AppFiles;
  /** First words of each page, e.g. "django app". */
  label: string;
  /** The table its first migration creates, and the column its second one adds. */
  table: string;
  /** YAML lines after `source`, at top level (preset keys the app overrides, aliases). */
  extra?: string;
  /** YAML lines inside the database (e.g. its schema_status when the preset has none). */
  dbExtra?: string;
  /** The alias run in a pseudo-terminal, what to type, and what it must print. */
  alias: { args: string[]; answers: { when: string; send: string }[]; expect: string };
  /** A line `config print` marks as the preset's (one of its aliases). */
  presetLine: string;
  /** Something only the preset's build or dependency step leaves in the release. */
  built: string;
}

async function deployAndRollBack(c: AppCase): Promise<void> {
  const t0 = Date.now();
  const db = `${c.app}_db`;
  pg.sql(`CREATE DATABASE ${db} OWNER app`);
  const repo = new Repo(path.join(fleet.gitBase, c.app));
  commitApp(repo, c.files(1), "v1");
  const port = await freePort();
  const dir = tmpdir();
  writeFileSync(
    path.join(dir, "slipway.yml"),
    `app: ${c.app}
preset: ${c.app.replace(/shop$/, "")}
source: { git: "${fleet.gitUrl(c.app)}", ref: main }
secret_env: [DB_PASSWORD]
env: { PORT: "${port}", DB_HOST: 127.0.0.1, DB_PORT: "${pg.port}", DB_NAME: ${db}, DB_USER: app }
${c.extra ?? ""}
environments:
  prod:
    hosts:
      - { name: web1, address: web1, roles: [web], primary: true }
      - { name: db1, address: db1, roles: [db] }
    databases:
      main:
        engine: postgres
        port: ${pg.port}
        name: ${db}
        user: app
        password_secret: DB_PASSWORD
${c.dbExtra ?? ""}
`,
  );
  const env = { ...fleet.env, DB_PASSWORD: pg.password, FORCE_COLOR: "0" };
  // Asynchronous, so a long Rails deploy does not block vitest's own RPC.
  const steps: Record<string, number> = {};
  timings[c.app] = steps;
  const run = async (...args: string[]): Promise<CliResult> => {
    const t = Date.now();
    const res = await cliSpawn(args, { cwd: dir, env }).done;
    const step = args.slice(1).join(" ");
    steps[step] = Math.max(steps[step] ?? 0, Math.round((Date.now() - t) / 100) / 10);
    return res;
  };
  const sql = (q: string) => pg.sql(q, db).trim();
  const onWeb = (command: string) => fleet.asUser("web1", `cd apps/${c.app} && ${command}`);
  const page = async () => {
    const res = await fetch(`http://127.0.0.1:${port}/`);
    return `${res.status} ${await res.text()}`;
  };
  const hasColumn = (col: string) => sql(`SELECT count(*) FROM information_schema.columns WHERE table_name = '${c.table}' AND column_name = '${col}'`);

  // The preset's defaults (its aliases too) are in the merged config, marked as the preset's.
  let r = await run("prod", "config", "print");
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain(c.presetLine);

  r = await run("prod", "deploy");
  expect(r.code, r.stderr + r.stdout).toBe(0);
  expect(hasColumn("name"), "the first migration created the table").toBe("1");
  expect(hasColumn("note")).toBe("0");
  expect(onWeb(`test -e current/${c.built} && echo yes`).trim()).toBe("yes");
  expect(await page()).toBe(`200 ${c.label} v1: 0 items\n`);
  r = await run("prod", "check-services");
  expect(r.code, r.stderr + r.stdout).toBe(0);

  // The alias runs in the current release with the app's environment, on a terminal.
  const t = runInPty([process.execPath, MAIN, "prod", ...c.alias.args], { cwd: dir, env, answers: c.alias.answers });
  expect(t.output).toContain(c.alias.expect);
  expect(t.status, t.output).toBe(0);
  expect(await page()).toBe(`200 ${c.label} v1: 1 items\n`);

  commitApp(repo, c.files(2), "v2: a migration adds a column");
  r = await run("prod", "deploy");
  expect(r.code, r.stderr + r.stdout).toBe(0);
  expect(hasColumn("note"), "the second migration ran").toBe("1");
  expect(await page()).toBe(`200 ${c.label} v2: 1 items\n`);
  const v2 = onWeb("readlink current").trim();

  // The schema state recorded with v1 differs from the live one: refused until --force.
  r = await run("prod", "rollback");
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("rollback refused");
  expect(onWeb("readlink current").trim()).toBe(v2);
  r = await run("prod", "rollback", "--force");
  expect(r.code, r.stderr + r.stdout).toBe(0);
  expect(onWeb("readlink current").trim()).not.toBe(v2);
  expect(await page()).toBe(`200 ${c.label} v1: 1 items\n`);
  r = await run("prod", "check-services");
  expect(r.code, r.stderr + r.stdout).toBe(0);
  fleet.asUser("web1", `supervisorctl -c supervisor/supervisord.conf stop ${c.app}-web >/dev/null`);
  steps.total = Math.round((Date.now() - t0) / 100) / 10;
}

describe.skipIf(SKIP)("framework presets deploy real apps over ssh to PostgreSQL", () => {
  it("django: venv from requirements.txt, collectstatic, migrate, gunicorn; `manage shell` in a pty", async () => {
    await deployAndRollBack({
      app: "djangoshop",
      files: (v) => djangoApp(v, "djangoshop"),
      label: "django app",
      table: "items_item",
      alias: {
        args: ["manage", "shell"],
        answers: [
          { when: ">>> ", send: `from items.models import Item; Item.objects.create(name="pty"); print("COUNT", Item.objects.count())\n` },
          { when: "COUNT 1", send: "exit()\n" },
        ],
        expect: "COUNT 1",
      },
      presetLine: "- name: manage # preset: django",
      built: "staticfiles/items/app.css",
    });
  }, 150_000);

  it("rails: vendor/bundle from Gemfile.lock, db:migrate, puma; `rails console` in a pty", async () => {
    await deployAndRollBack({
      app: "railsshop",
      files: railsApp,
      label: "rails app",
      table: "items",
      // No rubygems.org here: the gem set is Debian's gems linked into vendor/bundle (see test/apps/rails.ts).
      extra: `dependencies:\n  - { path: vendor/bundle, lockfile: Gemfile.lock, install: "ruby script/link-system-gems.rb && bundle install --local" }`,
      alias: {
        args: ["rails", "console"],
        answers: [
          { when: "irb(main)", send: `Item.create!(name: "pty"); puts "COUNT=#{Item.count}"\n` },
          { when: "COUNT=1", send: "exit\n" },
        ],
        expect: "COUNT=1",
      },
      presetLine: "- name: rails # preset: rails",
      built: "vendor/bundle/ruby",
    });
  }, 150_000);

  it("node: npm ci, npm run build, npm start; an alias that prompts, answered in a pty", async () => {
    await deployAndRollBack({
      app: "nodeshop",
      files: nodeApp,
      label: "node app (built)",
      table: "items",
      extra: `migrate: ["npm run migrate"]
aliases:
  seed: { command: "node seed.js", interactive: true, description: "Add an item, asking for its name" }`,
      dbExtra: `        schema_status: node migrate.js status`,
      alias: { args: ["seed"], answers: [{ when: "item name? ", send: "from the pty\n" }], expect: `seeded "from the pty", items: 1` },
      // (An alias the preset adds beside the user's own is not marked: config print marks by list index.)
      presetLine: "NODE_ENV: production # preset: node",
      built: "build/stamp.txt",
    });
  }, 150_000);
});
