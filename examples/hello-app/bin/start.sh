#!/usr/bin/env bash
# Start the demo server from this release in the background; the pid goes to tmp/ (shared across releases).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd -P)
nohup node "$here/server.js" >>"$here/log/app.log" 2>&1 </dev/null &
echo $! >"$here/tmp/app.pid"
