/** `preset: node`: node_modules from the npm lockfile, `npm run build` when present, `npm start`. */
import type { Preset } from "./types.js";

export const node: Preset = {
  name: "node",
  summary: "Node: node_modules from package-lock.json, `npm run build` when package.json has one, `npm start` with a health check.",
  defaults: {
    dependencies: [{ path: "node_modules", lockfile: "package-lock.json", install: "npm ci --include=dev && mkdir -p node_modules" }],
    build: ["npm run build --if-present"],
    env: { PORT: "3000", NODE_ENV: "production" },
    services: {
      web: {
        backend: "supervisord",
        roles: ["web"],
        command: "npm start",
        health: { http: "http://127.0.0.1:{{ PORT }}/", timeout: 30 },
      },
    },
  },
  notes: {
    dependencies:
      "One node_modules per package-lock.json, reused while it is unchanged (`mkdir -p`: npm ci makes none for a lockfile without packages). `--include=dev` because NODE_ENV=production would leave out the build's devDependencies; write `npm ci --omit=dev` when the build needs none.",
    build: "`--if-present`: nothing happens when package.json has no build script.",
    "env.PORT": "The port the server listens on (a host's `env: { PORT: ... }` wins), also used by the health check.",
    "env.NODE_ENV": "Libraries (express, ...) run their production code paths.",
    "services.web":
      "`npm start` runs package.json's start script, or `node server.js` when there is none, under supervisord on hosts with role `web`; healthy when `GET /` answers 200.",
    migrate: "None by default: add your migration tool's command (e.g. `npx prisma migrate deploy`).",
  },
  aliases: {
    npm: { command: "npm", role: "web" },
  },
};
