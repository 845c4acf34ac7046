#!/usr/bin/env bash
# load-6k: 6,000 simultaneous same-IP passive sessions against `ftpspec serve` in another process,
# every data connection open at the same moment, every byte verified. Exit 0 only with 0 misrouted.
. "$(dirname "$0")/lib.sh"
mkdir -p "$ROOT/out"
serve --pasv-ports 20000-29999
"$FTPSPEC" load --target "ftp://test:test@127.0.0.1:$PORT" --sessions 6000 --transfers 1 --size 16384 \
  --pasv-ports 20000-29999 --threshold 'misrouted==0' --json "$ROOT/out/load-6k.json" --html "$ROOT/out/load-6k.html"
