#!/usr/bin/env bash
# Stop the demo server if it runs; wait for it to exit (a zombie counts as exited: no init may reap it).
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd -P)
pidfile="$here/tmp/app.pid"
[ -f "$pidfile" ] || exit 0
pid=$(cat "$pidfile")
alive() { local s; s=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) && [ -n "$s" ] && [ "$s" != Z ]; }
kill "$pid" 2>/dev/null || true
for _ in $(seq 1 50); do alive "$pid" || break; sleep 0.1; done
rm -f "$pidfile"
