/** `preset: rails`: gems in vendor/bundle, assets:precompile, db:migrate, puma and sidekiq. */
import type { Preset } from "./types.js";

export const rails: Preset = {
  name: "rails",
  summary: "Rails: gems in vendor/bundle from Gemfile.lock, assets:precompile when the app has an asset pipeline, db:migrate, puma and sidekiq.",
  defaults: {
    shared: { dirs: ["log", "tmp/pids", "public/uploads", "storage"] },
    dependencies: [{ path: "vendor/bundle", lockfile: "Gemfile.lock", install: "bundle config set --local path vendor/bundle && bundle install" }],
    build: ["if [ -x bin/rails ] && grep -qsE '^ +(sprockets|propshaft) ' Gemfile.lock; then SECRET_KEY_BASE_DUMMY=1 bin/rails assets:precompile; fi"],
    migrate: ["bin/rails db:migrate"],
    env: {
      PORT: "3000",
      RAILS_ENV: "production",
      RACK_ENV: "production",
      BUNDLE_PATH: "vendor/bundle",
      BUNDLE_WITHOUT: "development:test",
      RAILS_LOG_TO_STDOUT: "1",
    },
    services: {
      web: {
        backend: "supervisord",
        roles: ["web"],
        command: "bundle exec puma --bind tcp://127.0.0.1:{{ PORT }}",
        health: { http: "http://127.0.0.1:{{ PORT }}/up", timeout: 60 },
      },
      worker: { backend: "supervisord", roles: ["worker"], command: "bundle exec sidekiq" },
    },
  },
  schemaStatus: "bin/rails db:migrate:status",
  notes: {
    "shared.dirs": "Logs, puma's pid files, uploads and Active Storage's local files outlive releases.",
    dependencies: "One gem set per Gemfile.lock, reused while it is unchanged.",
    build:
      "Only when Gemfile.lock has sprockets or propshaft (an API-only app has no asset pipeline). SECRET_KEY_BASE_DUMMY lets Rails 7.1+ precompile without the real secret.",
    migrate: "Runs once on the primary, after every host has built and before the switch; a database's `backups.before_migrate` dump runs right before it.",
    "env.PORT": "The port puma binds on 127.0.0.1 (a host's `env: { PORT: ... }` wins), also used by the health check.",
    "env.RAILS_ENV": "Every command and service runs the production environment.",
    "env.RACK_ENV": "The same for Rack middleware and puma.",
    "env.BUNDLE_PATH":
      "Makes every `bundle exec` in the release find the gems in vendor/bundle (the install's `--local` setting stays with the dependency set).",
    "env.BUNDLE_WITHOUT": "Development and test gems are not installed on servers.",
    "env.RAILS_LOG_TO_STDOUT": "Rails logs reach the service log (shared/<service>.log) that `slipway <env> logs` reads.",
    "services.web":
      "puma under supervisord on hosts with role `web`; healthy when `GET /up` (the health route of Rails 7.1 and later) answers 200; older apps set `services.web.health.http`.",
    "services.worker": "sidekiq on hosts with role `worker`; `services: { worker: null }` removes it.",
    schema_status: "Recorded with each release so `rollback` can tell whether the schema changed since the target release.",
  },
  aliases: {
    rails: { command: "bin/rails", role: "web", interactive: true },
    rake: { command: "bin/rake", role: "web" },
  },
};
