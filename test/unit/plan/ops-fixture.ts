/** A resolved environment with command-backend services on two roles, shared by the ops planner tests. */
import { parseConfig } from "../../../src/config/load.js";
import { resolveEnvironment } from "../../../src/config/resolve.js";
import type { HostScript } from "../../../src/commands/script.js";

export const env = resolveEnvironment(
  parseConfig(
    `app: shop
source: { git: https://example.com/r.git, ref: main }
deploy_to: /srv/shop
keep_releases: 2
after_reboot:
  - echo unlocked
  - { run: mount /data, roles: [worker] }
maintenance: { roles: [web], stop_timeout: 7 }
services:
  app:
    backend: command
    roles: [web]
    order: 10
    start: ./start-app
    stop: ./stop-app
    health: { http: "http://127.0.0.1:{{ PORT }}/health", timeout: 3 }
  queue:
    backend: command
    roles: [web, worker]
    order: 20
    start: ./start-queue
    stop: ./stop-queue
environments:
  prod:
    hosts:
      - { name: web1, address: w1, roles: [web], primary: true, env: { PORT: "8001" } }
      - { name: worker1, address: k1, roles: [worker] }
      - { name: db1, address: d1, roles: [db] }
`,
    "/cfg/slipway.yml",
  ),
  "prod",
);

/** Each section of a script as `phase: display`, in order. */
export const shown = (s: HostScript | undefined) => (s?.sections ?? []).flatMap((sec) => sec.commands.map((c) => `${sec.phase}: ${c.display}`));
