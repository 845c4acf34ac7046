# lib.sh — helpers shared by the scripts: a free port, waiting for a listener, cleanup of what we start.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FTPSPEC=${FTPSPEC:-$ROOT/bin/ftpspec}
PIDS=()
cleanup() { local p; for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

freeport() { /usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

wait_port() { # wait_port PORT
  local i; for i in $(seq 1 150); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "nothing listens on 127.0.0.1:$1" >&2; return 1
}

# serve ARGS...: start `ftpspec serve` on a free port in the background; sets PORT.
serve() {
  PORT=$(freeport)
  "$FTPSPEC" serve --listen "127.0.0.1:$PORT" "$@" >"${TMPDIR:-/tmp}/ftpspec-serve.$PORT.log" 2>&1 &
  PIDS+=($!)
  wait_port "$PORT"
}
