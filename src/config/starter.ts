/** The commented starter written by `slipway init`. A unit test keeps it valid. */
export const STARTER = `# slipway.yml — see docs/config.md for every key.
# yaml-language-server: $schema=./slipway.schema.json   (generate with: slipway config schema > slipway.schema.json)

app: myapp

# Where the code comes from. The ref is resolved to one commit at the start of a deploy
# and that exact commit goes to every host.
source:
  git: https://github.com/example/myapp.git
  ref: main
# or deploy a local directory as-is:
# source:
#   dir: ./build

# Base directory on each host: releases/<id>, shared/, current -> releases/<id>.
deploy_to: ~/apps/myapp
keep_releases: 5

# Paths kept across releases, linked into each one.
shared:
  dirs: [log, tmp]
  files: []            # e.g. [.env] — must exist in shared/ on every host

# Run inside the new release before it can become current.
build:
  - npm ci --omit=dev
# - run: python3 -m venv venv && venv/bin/pip install -r requirements.txt
#   roles: [web]

# Run once on the primary host after every host has built, before the switch.
migrate: []
# - ./manage.py migrate --noinput

# Run after the switch; verify failures switch every host back.
restart: []
# - sudo systemctl restart myapp
verify: []
# - curl -fsS http://127.0.0.1:3000/health

# before/after any phase: fetch link build migrate switch restart verify cleanup
hooks:
  after:
    switch: []
  on_failure: []
#   - run: ./scripts/notify-failure.sh
#     local: true

env:
  NODE_ENV: production
secret_env: []         # names read from this machine's environment, redacted in all output

environments:
  staging:
    hosts:
      - name: local1
        transport: local
        deploy_to: ./.slipway-hosts/local1
  production:
    hosts:
      - name: web1
        address: web1.example.com
        user: deploy
        roles: [web]
        primary: true
      - name: web2
        address: web2.example.com
        user: deploy
        roles: [web]
`;

/** Hosts of the preset starters: one web host, one worker host where the preset has workers. */
const presetHosts = (worker: boolean) => `environments:
  staging:
    hosts:
      - { name: staging1, address: staging1.example.com, user: deploy, roles: [web${worker ? ", worker" : ""}, db] }
  production:
    hosts:
      - { name: web1, address: web1.example.com, user: deploy, roles: [web, db], primary: true }
${worker ? "      - { name: worker1, address: worker1.example.com, user: deploy, roles: [worker] }\n" : ""}`;

/** The short starter `slipway init --preset <name>` writes: the preset does the rest (see docs/presets.md). */
export function presetStarter(preset: "django" | "rails" | "node"): string {
  const db =
    preset === "node"
      ? ""
      : `    # databases:            # backed up before each migrate; schema_status comes from the preset
    #   main: { engine: postgres, name: myapp, user: myapp, password_secret: DB_PASSWORD }
`;
  const extra: Record<typeof preset, string> = {
    django: `vars:
  django_module: myapp   # the package holding wsgi.py (default: the app name)
  # django_server: uvicorn # ASGI instead of gunicorn
`,
    rails: "",
    node: "",
  };
  return `# slipway.yml — preset ${preset}: see docs/presets.md for what it sets, docs/config.md for every key.
# \`slipway <env> config print\` shows the merged result, preset values marked.
app: myapp
preset: ${preset}
source:
  git: https://github.com/example/myapp.git
  ref: main
${extra[preset]}${presetHosts(preset !== "node")}${db}`;
}
