/**
 * The app the load measurements deploy: a dependency-free Node server on $SLIPWAY_PORT (a cutover
 * slot, on $SLIPWAY_SLOT_HOST when set) or $PORT (in-place), 127.0.0.1. `/` answers `v<VERSION>` (so the load can tell which release
 * answered), `/health` is 200 unless `$HOME/unhealthy-<VERSION>` exists, `/slow?ms=N` answers after
 * N ms. On SIGTERM it exits at once, dropping requests in flight, like most apps without a
 * graceful-shutdown handler: the in-place figures measure exactly that.
 */
import type { AppFiles } from "./index.js";

const SERVER = `const http = require("node:http");
const fs = require("node:fs");

const VERSION = fs.readFileSync(__dirname + "/VERSION", "utf8").trim();
const PORT = Number(process.env.SLIPWAY_PORT || process.env.PORT);
const unhealthyFlag = (process.env.HOME || "/nonexistent") + "/unhealthy-" + VERSION;

http
  .createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    if (url.pathname === "/health") {
      res.statusCode = fs.existsSync(unhealthyFlag) ? 500 : 200;
      return res.end(res.statusCode === 200 ? "ok" : "unhealthy");
    }
    if (url.pathname === "/slow") {
      const ms = Math.min(Number(url.searchParams.get("ms")) || 0, 120000);
      return setTimeout(() => res.end("v" + VERSION + " slow " + ms), ms);
    }
    res.end("v" + VERSION);
  })
  .listen(PORT, process.env.SLIPWAY_SLOT_HOST || "127.0.0.1");

process.on("SIGTERM", () => process.exit(0));
`;

/** The files of version `version` (commit them with commitApp). */
export function loadApp(version: string | number): AppFiles {
  return { "server.js": SERVER, VERSION: `${version}\n` };
}
