#!/usr/bin/env bash
# bench.sh — the reference server's performance next to the machine's ceiling, measured in one run:
#   reference/testdata/bench.sh FTPSPEC_BINARY [SIZE_MiB]
# Starts `ftpspec serve` and `iperf3 -s` on loopback and prints one table:
#   RETR of SIZE_MiB (curl) vs iperf3 -Z (sendfile)          target >= 0.95
#   STOR of SIZE_MiB (curl) vs iperf3                        target >= 0.90
#   the page-cache write ceiling (dd), which bounds any STOR on this machine
#   500 sessions x 20 transfers x 64 KiB (`ftpspec load`): transfers/s, p99, server PSS per session
#   5,000 idle logged-in sessions: server PSS per session  target <= 40 KiB
# Each throughput is the best of 3. Needs curl, iperf3 and python3. BENCH_STRICT=1 exits 1 when a
# target is missed. Everything started is stopped on exit.
set -u
FTPSPEC=${1:?usage: bench.sh FTPSPEC_BINARY [SIZE_MiB]}
MIB=${2:-1024}
for tool in curl iperf3 python3; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is not installed" >&2; exit 2; }
done
T=$(mktemp -d /tmp/ftpspec-bench.XXXXXX)
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null; done; sleep 0.2; for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null

freeport() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_port() { local i; for i in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
best() { sort -n | tail -n 1; }
pss() { awk '/^Pss:/ {s += $2} END {print s + 0}' "/proc/$1/smaps_rollup" 2>/dev/null; }
mbs() { python3 -c "print(round(float('$1')/1e6))"; }
ratio() { python3 -c "print(round(float('$1')/float('$2'), 3))"; }
verdict() { python3 -c "import sys; print('ok' if float('$1') $2 else 'MISSED')"; }

mkdir -p "$T/root"
dd if=/dev/urandom of="$T/root/g.bin" bs=1M count="$MIB" status=none
sync

PORT=$(freeport)
"$FTPSPEC" serve --listen "127.0.0.1:$PORT" --root "$T/root" >"$T/serve.log" 2>&1 &
SERVER=$!; PIDS="$PIDS $SERVER"
wait_port "$PORT" || { echo "bench: ftpspec serve did not start: $(tail -n 2 "$T/serve.log")" >&2; exit 3; }
IPORT=$(freeport)
iperf3 -s -p "$IPORT" >/dev/null 2>&1 & PIDS="$PIDS $!"
wait_port "$IPORT" || { echo "bench: iperf3 -s did not start" >&2; exit 3; }
URL="ftp://test:test@127.0.0.1:$PORT"

iperf() { iperf3 -c 127.0.0.1 -p "$IPORT" -n "${MIB}M" $1 -J 2>/dev/null | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/8))'; }

retr=$(for i in 1 2 3; do curl -s -o /dev/null -w '%{speed_download}\n' "$URL/g.bin"; done | best)
iperfz=$(for i in 1 2 3; do iperf -Z; done | best)
stor=$(for i in 1 2 3; do curl -s -T "$T/root/g.bin" -o /dev/null -w '%{speed_upload}\n' "$URL/up$i.bin"; rm -f "$T/root/up$i.bin"; done | best)
iperfp=$(for i in 1 2 3; do iperf ""; done | best)
ddw=$(for i in 1 2 3; do python3 - "$T/root/dd.bin" "$MIB" <<'PY'; rm -f "$T/root/dd.bin"; done | best
import os, sys, time
buf = b"\0" * (4 << 20)
t = time.time()
with open(sys.argv[1], "wb") as f:
    for _ in range(int(sys.argv[2]) // 4):
        f.write(buf)
print(int(int(sys.argv[2]) * (1 << 20) / (time.time() - t)))
PY
)

# 500 x 20 x 64 KiB through ftpspec load, sampling the server's memory meanwhile.
base=$(pss "$SERVER")
( peak=0; while kill -0 "$SERVER" 2>/dev/null && [ ! -f "$T/load.done" ]; do p=$(pss "$SERVER"); [ "${p:-0}" -gt "$peak" ] && peak=$p && echo "$peak" >"$T/load.peak"; sleep 0.1; done ) &
SAMPLER=$!
load_ok=1
"$FTPSPEC" load --target "$URL" --sessions 500 --transfers 20 --size 65536 --json "$T/load.json" >"$T/load.out" 2>&1 || load_ok=0
touch "$T/load.done"; wait "$SAMPLER" 2>/dev/null
if [ "$load_ok" = 1 ]; then
  read -r tps p99 okn < <(python3 -c 'import json,sys; l=json.load(open(sys.argv[1]))["load"]; print(round(l["transfers_per_s"]), l["latency_ms"]["p99"], l["transfers"]["ok"])' "$T/load.json")
  peak=$(cat "$T/load.peak" 2>/dev/null || echo "$base")
  loadmem=$(python3 -c "print(round(($peak - $base) / 500, 1))")
  loadrow=$(printf '%-34s %s transfers/s, p99 %s ms, %s ok, server +%s KiB PSS/session' "500 x 20 x 64 KiB (ftpspec load)" "$tps" "$p99" "$okn" "$loadmem")
else
  loadrow=$(printf '%-34s not measured: ftpspec load failed: %s' "500 x 20 x 64 KiB (ftpspec load)" "$(tail -n 1 "$T/load.out")")
fi

# 5,000 idle logged-in sessions.
idle=$(python3 - "$PORT" 5000 "$SERVER" <<'PY'
import selectors, socket, sys, time
port, n, pid = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
def pss():
    return sum(int(l.split()[1]) for l in open("/proc/%d/smaps_rollup" % pid) if l.startswith("Pss:"))
time.sleep(0.5)
before = pss()
sel = selectors.DefaultSelector()
state, socks, done = {}, [], 0
for start in range(0, n, 250):
    for _ in range(min(250, n - start)):
        s = socket.socket(); s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        state[s] = [0, b""]; socks.append(s)
        sel.register(s, selectors.EVENT_READ)
    deadline = time.time() + 30
    while any(v[0] < 3 for v in state.values()) and time.time() < deadline:
        for key, _ in sel.select(1):
            s = key.fileobj; st = state[s]
            try:
                b = s.recv(4096)
            except OSError:
                b = b""
            if not b:
                sel.unregister(s); st[0] = 9; continue
            st[1] += b
            while b"\n" in st[1]:
                line, st[1] = st[1].split(b"\n", 1)
                if line[3:4] == b"-":
                    continue
                code = line[:3]
                if st[0] == 0 and code == b"220": s.send(b"USER test\r\n"); st[0] = 1
                elif st[0] == 1 and code == b"331": s.send(b"PASS test\r\n"); st[0] = 2
                elif st[0] == 2 and code == b"230": st[0] = 3; sel.unregister(s)
                elif code[:1] in (b"4", b"5"): st[0] = 9; sel.unregister(s)
ok = sum(1 for v in state.values() if v[0] == 3)
time.sleep(1.0)
after = pss()
print("%.1f %d" % ((after - before) / max(ok, 1), ok))
for s in socks:
    s.close()
PY
)
idlekib=${idle% *}; idleok=${idle#* }

r1=$(ratio "$retr" "$iperfz"); r2=$(ratio "$stor" "$iperfp"); r3=$(ratio "$stor" "$ddw")
printf '%-34s %-22s %-26s %-7s %s\n' "measure (best of 3, ${MIB} MiB)" "reference" "baseline" "ratio" "target"
printf '%-34s %-22s %-26s %-7s %s\n' "RETR (curl)" "$(mbs "$retr") MB/s" "iperf3 -Z $(mbs "$iperfz") MB/s" "$r1" ">= 0.95 $(verdict "$r1" '>= 0.95')"
printf '%-34s %-22s %-26s %-7s %s\n' "STOR (curl)" "$(mbs "$stor") MB/s" "iperf3 $(mbs "$iperfp") MB/s" "$r2" ">= 0.90 $(verdict "$r2" '>= 0.90')"
printf '%-34s %-22s %-26s %-7s %s\n' "STOR vs page-cache writes" "$(mbs "$stor") MB/s" "write() $(mbs "$ddw") MB/s" "$r3" "(the disk-side ceiling of any STOR)"
echo "$loadrow"
printf '%-34s %-22s %-26s %-7s %s\n' "5,000 idle sessions" "$idlekib KiB/session" "$idleok logged in" "" "<= 40 $(verdict "$idlekib" '<= 40')"

if [ "${BENCH_STRICT:-0}" = 1 ]; then
  python3 -c "import sys; sys.exit(0 if $r1 >= 0.95 and $r2 >= 0.90 and $idlekib <= 40 and $idleok == 5000 else 1)" || exit 1
fi
exit 0
