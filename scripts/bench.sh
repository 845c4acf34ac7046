#!/usr/bin/env bash
# bench (`make bench`): `ftpspec bench` of the reference server against the machine's ceiling
# measured in the same run (a single TCP stream on loopback with sendfile and with a write loop):
# RETR and STOR of 1 GiB, 100 sessions × 10 × 64 KiB verified, logins per second, and 200 idle
# sessions with the server's PSS per session. The server runs as its own process (`ftpspec serve`)
# so that its memory is its own. Then the Go benchmarks of the hot paths with allocs/op.
#
# Writes out/bench.json, out/bench.html, out/bench.md, out/bench-go.txt.
# Environment: BENCH_ARGS="--rounds 5 --big-size 256MiB" adds flags to ftpspec bench;
# BENCHTIME=1s for the Go benchmarks.
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
work=$(mktemp -d); trap 'rm -rf "$work"; cleanup' EXIT
mkdir -p "$work/root" out
serve --root "$work/root" --pasv-ports 20000-29999
SERVE_PID=${PIDS[-1]}
read -r -a extra <<<"${BENCH_ARGS:-}"
"$FTPSPEC" bench --label "reference (make bench)" \
  --target "reference=ftp://test:test@127.0.0.1:$PORT" --pid "reference=$SERVE_PID" \
  --json out/bench.json --html out/bench.html --markdown out/bench.md "${extra[@]}"
echo
go test -run '^$' -bench . -benchmem -benchtime "${BENCHTIME:-1s}" ./internal/payload ./internal/ftpwire ./reference ./loadgen 2>&1 | grep -E '^(Benchmark|ok|FAIL|PASS)' | tee out/bench-go.txt
