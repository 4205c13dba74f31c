/** `preset: django | rails | node`: defaults merged under the user's config, key by key, before the schema. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/load.js";
import { PRESETS, presetAliases } from "../../../src/config/presets/index.js";
import { markedYaml, presetPaths } from "../../../src/config/presets/print.js";
import { renderPresetsDoc } from "../../../src/config/presets/doc.js";
import { resolveEnvironment } from "../../../src/config/resolve.js";
import { presetStarter } from "../../../src/config/starter.js";
import { ConfigError } from "../../../src/errors.js";
import { ROOT } from "../../helpers.js";

const config = (preset: string, extra = "", envExtra = "") => `app: my-site
preset: ${preset}
source: { git: https://example.com/r.git }
${extra}
environments:
  production:
    hosts:
      - { name: web1, address: web1.example.com, roles: [web, db] }
      - { name: work1, address: work1.example.com, roles: [worker] }
${envExtra}`;

const envOf = (text: string, name = "production") => resolveEnvironment(parseConfig(text, "slipway.yml"), name, () => undefined);

function problems(text: string): string[] {
  try {
    parseConfig(text, "slipway.yml");
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

const runs = (cs: { run: string }[]) => cs.map((c) => c.run);

describe("preset: django", () => {
  it("resolves to a virtualenv, collectstatic, migrate, gunicorn on web and celery on worker, named after the app", () => {
    const env = envOf(config("django"));
    expect(env.dependencies).toEqual([
      { path: "venv", lockfile: "requirements.txt", install: "python3 -m venv --system-site-packages venv && venv/bin/pip install -r requirements.txt" },
    ]);
    expect(runs(env.build)).toEqual(["venv/bin/python manage.py collectstatic --noinput"]);
    expect(runs(env.migrate)).toEqual(["venv/bin/python manage.py migrate --noinput"]);
    expect(env.shared).toEqual({ dirs: ["media"], files: [] });
    expect(env.env).toMatchObject({ PORT: "8000" });
    expect(env.vars).toEqual({ django_server: "gunicorn", django_module: "my_site" });
    const [web, worker] = env.services;
    expect(web).toMatchObject({
      name: "web",
      backend: "supervisord",
      roles: ["web"],
      program: "my-site-web",
      command: "venv/bin/python -m gunicorn my_site.wsgi --bind 127.0.0.1:{{ PORT }}",
      health: { http: "http://127.0.0.1:{{ PORT }}/", expect: 200, timeout: 30 },
    });
    expect(worker).toMatchObject({ name: "worker", roles: ["worker"], command: "venv/bin/python -m celery -A my_site worker --loglevel INFO" });
    expect(presetAliases("django")).toEqual({ manage: { command: "venv/bin/python manage.py", role: "web", interactive: true } });
  });

  it("vars.django_server: uvicorn serves the ASGI app; vars.django_module names the project; an unknown server is the user's key error", () => {
    const env = envOf(config("django", "vars: { django_server: uvicorn, django_module: proj }"));
    expect(env.services[0]!.command).toBe("venv/bin/python -m uvicorn proj.asgi:application --host 127.0.0.1 --port {{ PORT }}");
    expect(env.services[1]!.command).toBe("venv/bin/python -m celery -A proj worker --loglevel INFO");
    expect(problems(config("django", "vars:\n  django_server: waitress"))).toEqual([
      `line 5: vars.django_server: expected gunicorn | uvicorn (preset django), got "waitress"`,
    ]);
  });

  it("defaults schema_status of every database without one, in every environment; a database's own wins", () => {
    const text = `${config("django")}    databases:
      main: { engine: postgres, name: app, user: app }
      reports: { engine: postgres, name: rep, user: app, schema_status: "echo mine" }
  staging:
    hosts: [{ name: s1, address: s1.example.com, roles: [web, db] }]
    databases:
      main: { engine: postgres, name: app_staging, user: app }
`;
    expect(envOf(text).databases.map((d) => d.schemaStatus)).toEqual(["venv/bin/python manage.py showmigrations", "echo mine"]);
    expect(envOf(text, "staging").databases[0]!.schemaStatus).toBe("venv/bin/python manage.py showmigrations");
  });
});

describe("preset: rails and node", () => {
  it("rails: vendor/bundle, a guarded assets:precompile, db:migrate, puma + sidekiq, shared dirs, db:migrate:status", () => {
    const env = envOf(`${config("rails")}    databases:\n      main: { engine: postgres, name: app, user: app }\n`);
    expect(env.dependencies).toEqual([
      { path: "vendor/bundle", lockfile: "Gemfile.lock", install: "bundle config set --local path vendor/bundle && bundle install" },
    ]);
    expect(runs(env.build)[0]).toMatch(/^if .*Gemfile\.lock; then SECRET_KEY_BASE_DUMMY=1 bin\/rails assets:precompile; fi$/);
    expect(runs(env.migrate)).toEqual(["bin/rails db:migrate"]);
    expect(env.shared.dirs).toEqual(["log", "tmp/pids", "public/uploads", "storage"]);
    expect(env.env).toMatchObject({ RAILS_ENV: "production", BUNDLE_PATH: "vendor/bundle", PORT: "3000" });
    expect(env.services.map((s) => [s.name, s.roles, s.command])).toEqual([
      ["web", ["web"], "bundle exec puma --bind tcp://127.0.0.1:{{ PORT }}"],
      ["worker", ["worker"], "bundle exec sidekiq"],
    ]);
    expect(env.services[0]!.health?.http).toBe("http://127.0.0.1:{{ PORT }}/up");
    expect(env.databases[0]!.schemaStatus).toBe("bin/rails db:migrate:status");
    expect(Object.keys(presetAliases("rails"))).toEqual(["rails", "rake"]);
  });

  it("node: node_modules from package-lock.json, npm run build only when present, npm start with a health check, no migrate", () => {
    const env = envOf(config("node"));
    expect(env.dependencies).toEqual([{ path: "node_modules", lockfile: "package-lock.json", install: "npm ci --include=dev && mkdir -p node_modules" }]);
    expect(runs(env.build)).toEqual(["npm run build --if-present"]);
    expect(env.migrate).toEqual([]);
    expect(env.services).toHaveLength(1);
    expect(env.services[0]).toMatchObject({ name: "web", command: "npm start", health: { http: "http://127.0.0.1:{{ PORT }}/" } });
    expect(env.env).toEqual({ PORT: "3000", NODE_ENV: "production" });
    expect(presetAliases("node")).toEqual({ npm: { command: "npm", role: "web" } });
  });

  it("the build guards really guard: npm's --if-present and rails' Gemfile.lock check are in the commands", () => {
    // The guard's shell is checked in the e2e test (fake npm); here that an API-only Gemfile.lock skips precompiling.
    const guard = (PRESETS.rails.defaults.build as string[])[0]!;
    expect(guard).toContain("grep -qsE '^ +(sprockets|propshaft) ' Gemfile.lock");
  });
});

describe("merge rules", () => {
  it("the user wins key by key; lists are replaced whole; keys the preset does not set are the user's", () => {
    const env = envOf(
      config(
        "django",
        `build: [echo mine]
shared: { files: [.env] }
env: { PORT: "9000", EXTRA: x }
services:
  web: { health: { http: "http://127.0.0.1:{{ PORT }}/healthz" } }
  beat: { backend: supervisord, roles: [worker], command: venv/bin/python -m celery -A my_site beat }`,
      ),
    );
    expect(runs(env.build)).toEqual(["echo mine"]);
    expect(runs(env.migrate)).toEqual(["venv/bin/python manage.py migrate --noinput"]);
    expect(env.shared).toEqual({ dirs: ["media"], files: [".env"] });
    expect(env.env).toEqual({ PORT: "9000", PYTHONUNBUFFERED: "1", EXTRA: "x" });
    expect(env.services.map((s) => s.name)).toEqual(["web", "worker", "beat"]);
    // health merges key by key too: the preset's timeout stays, the user's URL wins
    expect(env.services[0]!.health).toEqual({ http: "http://127.0.0.1:{{ PORT }}/healthz", expect: 200, timeout: 30 });
    expect(env.services[0]!.command).toBe("venv/bin/python -m gunicorn my_site.wsgi --bind 127.0.0.1:{{ PORT }}");
  });

  it("services.<name>: null or false removes a preset service; removing one the preset lacks is an error", () => {
    expect(envOf(config("django", "services:\n  worker: null")).services.map((s) => s.name)).toEqual(["web"]);
    expect(envOf(config("rails", "services:\n  worker: false")).services.map((s) => s.name)).toEqual(["web"]);
    expect(problems(config("node", "services:\n  worker: null"))).toEqual([
      `line 5: services.worker: null removes a preset service, but preset node has no service "worker" (it has: web)`,
    ]);
  });

  it("environment-level keys are untouched: an environment's env overrides the preset's", () => {
    const env = envOf(config("node", "", '    env: { PORT: "4000" }\n'));
    expect(env.env.PORT).toBe("4000");
  });

  it("an unknown preset is a key-path error with its line, and other problems are still reported", () => {
    expect(problems(config("flask", "keep_releases: 0"))).toEqual([
      `line 2: preset: expected django | rails | node, got "flask"`,
      "line 4: keep_releases: expected an integer >= 1, got 0",
    ]);
  });

  it("the user's keys keep their line next to preset values", () => {
    expect(problems(config("node", 'services:\n  web: { backend: command, order: "x" }'))).toEqual([`line 5: services.web.order: expected number, got "x"`]);
    expect(problems(config("node", "services:\n  web: { backend: command }"))).toEqual(["line 5: services.web: the command backend needs `start` and `stop`"]);
    expect(problems(config("django", "vars: { django_module: 7 }"))).toEqual([`line 4: vars.django_module: expected string, got 7`]);
  });

  it("a preset-supplied value the schema rejects is named `preset <name>: <key path>`, with no line of the user's file", () => {
    const defaults = PRESETS.node.defaults;
    const saved = structuredClone(defaults);
    try {
      Object.assign(defaults, { keep_releases: 0 });
      (defaults.services as { web: Record<string, unknown> }).web.order = "late";
      expect(problems(config("node", "services:\n  web: { command: ./serve }"))).toEqual([
        "preset node: keep_releases: expected an integer >= 1, got 0",
        `preset node: services.web.order: expected number, got "late"`,
      ]);
    } finally {
      for (const k of Object.keys(defaults)) delete defaults[k];
      Object.assign(defaults, saved);
    }
  });
});

describe("config print markings", () => {
  const text = `${config("django", "env: { EXTRA: mine }\nservices:\n  web: { command: ./serve }", '    env: { PORT: "8100" }\n')}    databases:
      main: { engine: postgres, name: app, user: app }
`;
  const loaded = parseConfig(text, "slipway.yml");
  const env = resolveEnvironment(loaded, "production", () => undefined);

  it("lists the printed paths whose values came from the preset", () => {
    const paths = presetPaths(loaded, env).map((p) => p.join("."));
    expect(paths).toEqual(
      expect.arrayContaining([
        "shared",
        "dependencies",
        "build",
        "migrate",
        "env.PYTHONUNBUFFERED",
        "services.0.backend",
        "services.1",
        "databases.0.schemaStatus",
      ]),
    );
    expect(paths).not.toContain("env.PORT"); // the environment overrides it
    expect(paths).not.toContain("env.EXTRA");
    expect(paths.some((p) => p.startsWith("services.0.command"))).toBe(false);
  });

  it("marks each preset line with `# preset: django` and leaves the user's alone", () => {
    const yaml = markedYaml(JSON.parse(JSON.stringify(env)), presetPaths(loaded, env), "preset: django");
    const line = (re: RegExp) => yaml.split("\n").find((l) => re.test(l)) ?? "";
    expect(line(/collectstatic/)).toMatch(/# preset: django$/);
    expect(line(/schemaStatus:/)).toBe("    schemaStatus: venv/bin/python manage.py showmigrations # preset: django");
    expect(line(/command: \.\/serve/)).not.toContain("#");
    expect(line(/EXTRA:/)).not.toContain("#");
    expect(line(/PORT:/)).not.toContain("#");
    expect(line(/PYTHONUNBUFFERED/)).toMatch(/# preset: django$/);
    expect(line(/celery/)).toMatch(/# preset: django$/);
  });
});

describe("docs/presets.md", () => {
  it("is generated from the preset definitions (run `npm run docs`) and notes every default", () => {
    expect(readFileSync(path.join(ROOT, "docs/presets.md"), "utf8")).toBe(renderPresetsDoc());
    const doc = renderPresetsDoc();
    for (const p of Object.values(PRESETS)) {
      for (const note of Object.values(p.notes)) expect(doc).toContain(note);
      for (const k of Object.keys(p.computed ?? {})) expect(doc).toContain(`| \`${k}\` |`);
    }
    expect(doc).toContain('| `dependencies` | `[{"path":"venv"');
  });
});

describe("init --preset starters", () => {
  it.each(["django", "rails", "node"] as const)("%s: valid, short, and resolves with the preset's services", (name) => {
    const text = presetStarter(name);
    expect(text.split("\n").filter((l) => l.trim() && !l.trim().startsWith("#")).length).toBeLessThanOrEqual(16);
    const env = resolveEnvironment(parseConfig(text, "slipway.yml"), "production", () => undefined);
    expect(env.services.map((s) => s.name)).toEqual(name === "node" ? ["web"] : ["web", "worker"]);
    expect(env.hosts.map((h) => h.name)).toEqual(name === "node" ? ["web1"] : ["web1", "worker1"]);
  });
});

describe("README ## Presets", () => {
  it("each framework's config is at most ten lines, valid, and uses its preset", () => {
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Presets"), readme.indexOf("## Configuration"));
    const blocks = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.map((b) => /preset: (\w+)/.exec(b)?.[1])).toEqual(["django", "rails", "node"]);
    for (const b of blocks) {
      expect(b.trim().split("\n").length).toBeLessThanOrEqual(10);
      const env = resolveEnvironment(parseConfig(b, "slipway.yml"), "production", () => "pw");
      expect(env.services.length).toBeGreaterThan(0);
    }
  });
});
