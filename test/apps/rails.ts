/**
 * A minimal Rails app on Debian's ruby-rails (6.1): only railties, activerecord and actionpack,
 * one model with migrations, a page that counts rows and a health action, served by puma.
 * Gemfile.lock is resolved here with `bundle lock --local` against the system gems (what a team
 * would commit), so `bundle install --local` on a host is satisfied without the internet.
 * The preset's `bundle install` needs rubygems.org; script/link-system-gems.rb is the offline stand-in.
 * Version 2 adds a migration (a nullable column), so its schema state differs from version 1's.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { AppFiles } from "./index.js";

const GEMFILE = `source "https://rubygems.org"

gem "railties", "~> 6.1"
gem "activerecord", "~> 6.1"
gem "actionpack", "~> 6.1"
gem "pg"
gem "puma"
`;

let lockCache = "";
/** Gemfile.lock for GEMFILE, resolved from this machine's installed gems only. */
export function gemfileLock(): string {
  if (lockCache) return lockCache;
  const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-gemlock-"));
  try {
    writeFileSync(path.join(dir, "Gemfile"), GEMFILE);
    execFileSync("bundle", ["lock", "--local"], {
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, BUNDLE_APP_CONFIG: path.join(dir, ".bundle") },
    });
    lockCache = readFileSync(path.join(dir, "Gemfile.lock"), "utf8");
    return lockCache;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const APPLICATION = `require_relative "boot"
require "rails"
require "active_record/railtie"
require "action_controller/railtie"
Bundler.require(*Rails.groups)

module Shipyard
  class Application < Rails::Application
    config.load_defaults 6.1
    config.eager_load = Rails.env.production?
    config.secret_key_base = ENV.fetch("SECRET_KEY_BASE", "0" * 64)
    config.hosts.clear
    # SQL is logged at debug: info keeps db:migrate:status output stable (it is the schema state).
    config.log_level = :info
    config.logger = ActiveSupport::Logger.new($stdout)
    config.active_record.dump_schema_after_migration = false
  end
end
`;

const DATABASE_YML = `default: &default
  adapter: postgresql
  host: <%= ENV.fetch("DB_HOST", "127.0.0.1").to_json %>
  port: <%= ENV.fetch("DB_PORT", "5432").to_json %>
  database: <%= ENV.fetch("DB_NAME", "app").to_json %>
  username: <%= ENV.fetch("DB_USER", "app").to_json %>
  password: <%= ENV.fetch("DB_PASSWORD", "").to_json %>

production:
  <<: *default
development:
  <<: *default
`;

const CONTROLLER = `class ItemsController < ApplicationController
  VERSION = File.read(Rails.root.join("VERSION")).strip

  def index
    render plain: "rails app v#{VERSION}: #{Item.count} items\\n"
  end

  def health
    Item.connection.select_value("SELECT 1")
    render plain: "ok\\n"
  end
end
`;

const MIGRATION_1 = `class CreateItems < ActiveRecord::Migration[6.1]
  def change
    create_table :items do |t|
      t.string :name, null: false
    end
  end
end
`;

const MIGRATION_2 = `class AddNoteToItems < ActiveRecord::Migration[6.1]
  def change
    add_column :items, :note, :string
  end
end
`;

/**
 * Offline stand-in for a gem mirror: link every installed (Debian) gem into vendor/bundle, so
 * `bundle install --local` with the preset's BUNDLE_PATH=vendor/bundle finds the whole lockfile
 * installed. (Bundler 2.3 refuses a custom path together with system gems, and hosts here cannot
 * reach rubygems.org, so the preset's plain `bundle install` has nothing to install from.)
 */
const LINK_GEMS = `require "fileutils"
home = File.join("vendor/bundle", RUBY_ENGINE, RbConfig::CONFIG["ruby_version"])
Gem::Specification.reject(&:default_gem?).each do |s|
  links = { s.loaded_from => File.join(home, "specifications", File.basename(s.loaded_from)), s.full_gem_path => File.join(home, "gems", s.full_name) }
  links[s.extension_dir] = File.join(home, "extensions", Gem::Platform.local.to_s, Gem.extension_api_version, s.full_name) unless s.extensions.empty?
  links.each do |from, to|
    # Debian keeps some gems' files elsewhere (absolute require paths): bundler only needs the dir.
    next FileUtils.mkdir_p(to) if from == s.full_gem_path && !File.exist?(from)
    next unless File.exist?(from)
    FileUtils.mkdir_p(File.dirname(to))
    File.symlink(from, to) unless File.exist?(to)
  end
end
`;

/** The app's files at `version` (1 or 2). */
export function railsApp(version: number): AppFiles {
  return {
    VERSION: `${version}\n`,
    Gemfile: GEMFILE,
    "Gemfile.lock": gemfileLock(),
    Rakefile: `require_relative "config/application"\nRails.application.load_tasks\n`,
    "config.ru": `require_relative "config/environment"\nrun Rails.application\n`,
    "bin/rails": `#!/usr/bin/env ruby\nAPP_PATH = File.expand_path("../config/application", __dir__)\nrequire_relative "../config/boot"\nrequire "rails/commands"\n`,
    "bin/rake": `#!/usr/bin/env ruby\nrequire_relative "../config/boot"\nrequire "rake"\nRake.application.run\n`,
    "config/boot.rb": `ENV["BUNDLE_GEMFILE"] ||= File.expand_path("../Gemfile", __dir__)\nrequire "bundler/setup"\n`,
    "config/application.rb": APPLICATION,
    "config/environment.rb": `require_relative "application"\nRails.application.initialize!\n`,
    "config/database.yml": DATABASE_YML,
    "config/routes.rb": `Rails.application.routes.draw do\n  get "/" => "items#index"\n  get "/up" => "items#health"\nend\n`,
    "app/controllers/application_controller.rb": "class ApplicationController < ActionController::API\nend\n",
    "app/controllers/items_controller.rb": CONTROLLER,
    "app/models/application_record.rb": "class ApplicationRecord < ActiveRecord::Base\n  self.abstract_class = true\nend\n",
    "app/models/item.rb": "class Item < ApplicationRecord\nend\n",
    "lib/tasks/items.rake": `namespace :items do\n  desc "Insert one item"\n  task add: :environment do\n    Item.create!(name: ENV.fetch("NAME", "from rake"))\n    puts "items: #{Item.count}"\n  end\nend\n`,
    "db/migrate/20240101000000_create_items.rb": MIGRATION_1,
    "db/migrate/20240201000000_add_note_to_items.rb": version >= 2 ? MIGRATION_2 : null,
    "script/link-system-gems.rb": LINK_GEMS,
    // irb's default line editor asks the terminal for the cursor position (ESC[6n) and waits for the
    // answer; plain stdio input keeps `rails console` usable on any pseudo-terminal.
    ".irbrc": "IRB.conf[:USE_MULTILINE] = false\nIRB.conf[:USE_SINGLELINE] = false\n",
  };
}
