#!/usr/bin/env bash
# Restart the demo server from the current release. The pid lives in shared/ so any release can stop it.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd -P)
pidfile="$here/tmp/app.pid"
"$here/bin/stop.sh"
nohup node "$here/server.js" >>"$here/log/app.log" 2>&1 </dev/null &
echo $! >"$pidfile"
for _ in $(seq 1 50); do
  node -e "fetch('http://127.0.0.1:' + process.env.PORT + '/health').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))" && exit 0
  sleep 0.1
done
echo "server did not answer on port $PORT" >&2
exit 1
