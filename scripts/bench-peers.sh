#!/usr/bin/env bash
# bench-peers (`make bench-peers`): the reference server and the four Debian peers (vsftpd, proftpd,
# pure-ftpd, pyftpdlib; scripts/interop/peers.sh) benched side by side in one sitting, with the
# machine's ceiling, by one `ftpspec bench` run: interleaved rounds, every byte verified, each
# server's PSS per idle session from its process tree (--pid).
#
# The peers are shared with other users of this machine (make interop): the script holds
# /tmp/ftpspec-peers.lock from before it starts them until after it stops them.
#
# Writes out/bench-peers.json, out/bench-peers.html, out/bench-peers.md. Takes about 10 minutes on
# 2 cores with the defaults (1 GiB big files, 3 rounds).
# Environment: BENCH_ARGS adds flags to ftpspec bench (e.g. "--rounds 5"); BENCH_SERVERS="vsftpd
# proftpd" a subset of the peers; BENCH_LOCK_WAIT=1800 seconds to wait for the lock.
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
PEERS=scripts/interop/peers.sh
read -r -a servers <<<"${BENCH_SERVERS:-}"
read -r -a extra <<<"${BENCH_ARGS:-}"
work=$(mktemp -d)
mkdir -p "$work/root" out

exec 9>>/tmp/ftpspec-peers.lock
echo "bench-peers: waiting for /tmp/ftpspec-peers.lock" >&2
flock -w "${BENCH_LOCK_WAIT:-1800}" 9 || { echo "bench-peers: could not take /tmp/ftpspec-peers.lock" >&2; exit 3; }
stop_peers() { "$PEERS" stop "${servers[@]}" >/dev/null 2>&1 || true; }
trap 'stop_peers; rm -rf "$work"; cleanup' EXIT

if [ "$(id -u)" = 0 ]; then "$PEERS" install "${servers[@]}" >&2 || echo "bench-peers: peers.sh install failed; benching what starts" >&2; fi
"$PEERS" start "${servers[@]}" >"$work/start" 2>&1 || true
args=()
while read -r name url _ _ _ state pid; do
  if [ "$state" = up ]; then
    args+=(--target "$name=$url" --pid "$name=${pid#pid=}")
  else
    echo "bench-peers: $name is down, not benched" >&2
  fi
done < <("$PEERS" status "${servers[@]}" 2>/dev/null || true)
[ ${#args[@]} -gt 0 ] || echo "bench-peers: no peer is up (see scripts/interop/README.md); benching the reference alone" >&2

serve --root "$work/root" --pasv-ports 20000-29999
SERVE_PID=${PIDS[-1]}
"$FTPSPEC" bench --label "reference and peers (make bench-peers)" \
  --target "reference=ftp://test:test@127.0.0.1:$PORT" --pid "reference=$SERVE_PID" "${args[@]}" \
  --json out/bench-peers.json --html out/bench-peers.html --markdown out/bench-peers.md "${extra[@]}"
