#!/usr/bin/env bash
# interop.sh — ftpspec's interop matrix (`make interop`): installs and starts vsftpd, proftpd,
# pure-ftpd and pyftpdlib on loopback (scripts/interop/peers.sh), checks each with independent
# clients (scripts/interop/smoke.py: ftplib and curl), runs `ftpspec conform` (plain, and with
# --tls explicit) and a short `ftpspec load` against each, and renders the matrix of all runs.
#
# Results go to out/interop/: NAME.json, NAME-tls.json, NAME-load.json, matrix.html, matrix.md, and
# a log per step. A peer's failed case or transfer is a finding (ftpspec exit 1), not an error of
# this script: it exits non-zero only when the infrastructure broke (a peer would not start or failed
# its smoke check, ftpspec exited 2 or 3 or hung, an output is missing). The peers are stopped on exit.
#
# Environment:
#   INTEROP_SERVERS="vsftpd proftpd"  a subset of the peers (default: all four)
#   INTEROP_SMOKE=0                   skip the smoke checks
#   INTEROP_LOAD=0                    skip the load runs
#   INTEROP_KEEP_PEERS=1              leave the peers running at the end (stop: scripts/interop/peers.sh stop)
#   INTEROP_CONFORM_TIMEOUT=300       seconds per conform run; INTEROP_LOAD_TIMEOUT=180 per load run
#   INTEROP_EXHAUST=vsftpd            the peers whose whole passive range is exhausted by one more run
#                                     (NAME-exhaust.json: rfc959/4.1.2/pasv-range-exhausted with
#                                     --exhaust-max INTEROP_EXHAUST_MAX=1000, its own golden file); "" skips it
#   FTPSPEC=bin/ftpspec               the binary under test; FTPSPEC_PEERS_HOME (see peers.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

FTPSPEC=${FTPSPEC:-bin/ftpspec}
OUT=out/interop
PEERS=scripts/interop/peers.sh
PY=/usr/bin/python3
CA=${FTPSPEC_PEERS_HOME:-/opt/ftpspec-peers}/tls/cert.pem
read -r -a SELECTED <<<"${INTEROP_SERVERS:-}"
CONFORM_TIMEOUT=${INTEROP_CONFORM_TIMEOUT:-300}
LOAD_TIMEOUT=${INTEROP_LOAD_TIMEOUT:-180}
read -r -a EXHAUST <<<"${INTEROP_EXHAUST-vsftpd}"
EXHAUST_MAX=${INTEROP_EXHAUST_MAX:-1000}

SECONDS=0
BROKE=()
declare -A URL=() PASV=() TLS=() ANON=() RESULT=()
NAMES=()

step() { printf '\n== %s (%ds)\n' "$*" "$SECONDS"; }
infra() {
	BROKE+=("$*")
	printf 'interop: INFRASTRUCTURE: %s\n' "$*" >&2
}

[ "$(id -u)" = 0 ] || {
	echo "interop: run as root: it installs packages and starts servers that switch users" >&2
	exit 2
}
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

mkdir -p "$OUT"
# Results of an earlier run would enter the matrix as if they were this run's.
rm -f "$OUT"/*.json "$OUT"/*.log "$OUT"/matrix.html "$OUT"/matrix.md "$OUT"/summary.txt

step "install peers"
if ! "$PEERS" install; then
	echo "interop: INFRASTRUCTURE: installing the peers failed" >&2
	exit 1
fi

stop_peers() {
	if [ "${INTEROP_KEEP_PEERS:-0}" = 1 ]; then
		echo "interop: peers left running (INTEROP_KEEP_PEERS=1); stop them with $PEERS stop"
	else
		"$PEERS" stop "${SELECTED[@]}" || true
	fi
}
trap stop_peers EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step "start peers"
start_rc=0
started=$("$PEERS" start "${SELECTED[@]}") || start_rc=$?
printf '%s\n' "$started"
while read -r name url pasv tls anon state _; do
	[ -n "$name" ] || continue
	NAMES+=("$name")
	URL[$name]=$url
	PASV[$name]=${pasv#pasv=}
	TLS[$name]=${tls#tls=}
	ANON[$name]=${anon#anon=}
	if [ "$state" != up ]; then
		infra "$name did not start (see the peers: lines above and ${FTPSPEC_PEERS_HOME:-/opt/ftpspec-peers}/run/$name/stdout.log)"
		RESULT[$name]="not started"
	fi
done <<<"$started"
[ ${#NAMES[@]} -gt 0 ] || {
	infra "peers.sh start listed no server (exit $start_rc)"
	exit 1
}

up() { "$PEERS" status "$1" >/dev/null 2>&1; }

if [ "${INTEROP_SMOKE:-1}" = 1 ]; then
	for name in "${NAMES[@]}"; do
		[ -z "${RESULT[$name]:-}" ] || continue
		step "smoke check of $name"
		args=(--name "$name" --url "${URL[$name]}" --pasv "${PASV[$name]}")
		[ "${TLS[$name]}" = explicit ] && args+=(--tls --cafile "$CA")
		[ "${ANON[$name]}" = yes ] && args+=(--anon)
		if ! timeout --kill-after=10 240 "$PY" scripts/interop/smoke.py "${args[@]}" 2>&1 | tee "$OUT/$name-smoke.log"; then
			infra "$name failed its smoke check: it is not set up as the matrix assumes ($OUT/$name-smoke.log)"
		fi
	done
fi

# The CLI may still be growing: use each subcommand and flag only when its --help lists it.
declare -A HELP=()
for sub in conform load report; do
	HELP[$sub]=""
	if [ -x "$FTPSPEC" ]; then HELP[$sub]=$("$FTPSPEC" "$sub" --help 2>&1) || HELP[$sub]=""; fi
done
has_cmd() { [ -n "${HELP[$1]}" ]; }
has_flag() { grep -qE -- "(^|[[:space:],])$2([[:space:]=,]|$)" <<<"${HELP[$1]}"; }

# ftpspec LABEL LOG TIMEOUT NAME ARGS...: run bin/ftpspec; exit 0 and 1 are verdicts on the peer,
# anything else (2 usage, 3 unreachable, 124 timeout) is an infrastructure failure. Sets RC.
ftpspec() {
	local label=$1 log=$2 limit=$3 name=$4 was=down
	shift 4
	up "$name" && was=up
	RC=0
	echo "\$ $FTPSPEC $*" | sed -E 's#(ftp://[^:/@]*:)[^@]*@#\1***@#' >"$log"
	SSL_CERT_FILE=$CA timeout --kill-after=10 "$limit" "$FTPSPEC" "$@" >>"$log" 2>&1 || RC=$?
	tail -n 4 "$log" | sed 's/^/    /'
	case $RC in
	0 | 1) ;;
	124 | 137) infra "$label did not finish within ${limit}s ($log)" ;;
	*)
		local now=down
		up "$name" && now=up
		infra "$label exited $RC with $name $was before and $now after ($log)"
		;;
	esac
}

# verdict RC JSON: a word for the summary; a missing JSON after exit 0/1 is an infrastructure failure.
verdict() {
	case $1 in
	0 | 1)
		if [ ! -s "$2" ]; then
			infra "exit $1 but no $2"
			echo "no-json"
		elif [ "$1" = 0 ]; then echo "pass"; else echo "findings"; fi
		;;
	*) echo "error($1)" ;;
	esac
}

if ! has_cmd conform; then
	step "conformance"
	echo "interop: $FTPSPEC has no conform command (yet): matrix skipped, the peers were checked by smoke.py only"
else
	for name in "${NAMES[@]}"; do
		[ -z "${RESULT[$name]:-}" ] || continue
		up "$name" || { "$PEERS" start "$name" >/dev/null || true; }
		base=(--target "${URL[$name]}")
		has_flag conform --pasv-ports && base+=(--pasv-ports "${PASV[$name]}")
		step "conform $name"
		args=(conform "${base[@]}" --json "$OUT/$name.json")
		has_flag conform --label && args+=(--label "$name")
		ftpspec "conform $name" "$OUT/$name-conform.log" "$CONFORM_TIMEOUT" "$name" "${args[@]}"
		RESULT[$name]="conform=$(verdict "$RC" "$OUT/$name.json")"
		if [ "${TLS[$name]}" = explicit ] && has_flag conform --tls; then
			step "conform $name --tls explicit"
			args=(conform "${base[@]}" --tls explicit --json "$OUT/$name-tls.json")
			has_flag conform --label && args+=(--label "$name-tls")
			ftpspec "conform --tls explicit $name" "$OUT/$name-tls-conform.log" "$CONFORM_TIMEOUT" "$name" "${args[@]}"
			RESULT[$name]+=" tls=$(verdict "$RC" "$OUT/$name-tls.json")"
		fi
		# The exhaustion case on the peer's real range (vsftpd: 1000 ports, a session each, about
		# 2 minutes): the default --exhaust-max 64 skips it on every peer. A run of its own, so the
		# plain run stays what a user gets by default; its verdict has its own golden file.
		if [[ " ${EXHAUST[*]} " == *" $name "* ]] && has_flag conform --exhaust-max; then
			step "conform $name --exhaust-max $EXHAUST_MAX (range exhaustion)"
			args=(conform "${base[@]}" --exhaust-max "$EXHAUST_MAX" --run rfc959/4.1.2/pasv-range-exhausted --json "$OUT/$name-exhaust.json")
			has_flag conform --label && args+=(--label "$name-exhaust")
			# The case's budget is 20 s + 250 ms a port; the run gets a minute more.
			ftpspec "conform --exhaust-max $EXHAUST_MAX $name" "$OUT/$name-exhaust-conform.log" $((20 + EXHAUST_MAX / 4 + 60)) "$name" "${args[@]}"
			RESULT[$name]+=" exhaust=$(verdict "$RC" "$OUT/$name-exhaust.json")"
		fi
	done
fi

if [ "${INTEROP_LOAD:-1}" = 1 ] && has_cmd load; then
	# vsftpd's listen backlog is 32: let the sessions arrive over a few seconds when ftpspec can.
	ramp=$(grep -oE -- '--ramp[a-z-]* (duration|string)' <<<"${HELP[load]}" | head -n 1 | cut -d' ' -f1 || true)
	for name in "${NAMES[@]}"; do
		[[ "${RESULT[$name]:-}" != "not started" ]] || continue
		up "$name" || { "$PEERS" start "$name" >/dev/null || true; }
		step "load $name"
		args=(load --target "${URL[$name]}" --sessions 50 --transfers 2 --size 65536 --json "$OUT/$name-load.json")
		has_flag load --pasv-ports && args+=(--pasv-ports "${PASV[$name]}")
		has_flag load --label && args+=(--label "$name-load")
		[ -n "$ramp" ] && args+=("$ramp" 5s)
		ftpspec "load $name" "$OUT/$name-load.log" "$LOAD_TIMEOUT" "$name" "${args[@]}"
		RESULT[$name]+=" load=$(verdict "$RC" "$OUT/$name-load.json")"
	done
fi

if has_cmd report; then
	step "report"
	shopt -s nullglob
	runs=("$OUT"/*.json)
	shopt -u nullglob
	if [ ${#runs[@]} -gt 0 ]; then
		args=(report "${runs[@]}")
		has_flag report --html && args+=(--html "$OUT/matrix.html")
		has_flag report --markdown && args+=(--markdown "$OUT/matrix.md")
		rc=0
		timeout --kill-after=10 120 "$FTPSPEC" "${args[@]}" >"$OUT/report.log" 2>&1 || rc=$?
		cat "$OUT/report.log"
		[ "$rc" -le 1 ] || infra "ftpspec report exited $rc ($OUT/report.log)"
		if has_flag report --html && [ ! -s "$OUT/matrix.html" ]; then infra "ftpspec report wrote no $OUT/matrix.html"; fi
		if has_flag report --markdown && [ ! -s "$OUT/matrix.md" ]; then infra "ftpspec report wrote no $OUT/matrix.md"; fi
	fi
fi

step "summary"
{
	for name in "${NAMES[@]}"; do
		printf '%-10s %-36s pasv=%-12s %s\n' "$name" "${URL[$name]/:test@/:***@}" "${PASV[$name]}" "${RESULT[$name]:-smoke only}"
	done
	for f in "$OUT"/*.json; do
		[ -e "$f" ] || continue
		"$PY" - "$f" <<'PY' || true
import collections, json, sys
path = sys.argv[1]
try:
    d = json.load(open(path))
except Exception as e:
    print("  %s: unreadable (%s)" % (path, e)); sys.exit(0)
parts = []
cases = (d.get("conformance") or {}).get("cases") or []
if cases:
    c = collections.Counter(x.get("outcome", "?") for x in cases)
    parts.append(", ".join("%d %s" % (n, k) for k, n in sorted(c.items())))
load = d.get("load") or {}
t = load.get("transfers")
if isinstance(t, dict):
    parts.append("transfers " + ", ".join("%s=%s" % (k, v) for k, v in t.items() if isinstance(v, int)))
print("  %-36s %s" % (path.split("/")[-1], "; ".join(parts) or "(no cases or transfers)"))
PY
	done
	printf 'total %ds\n' "$SECONDS"
} | tee "$OUT/summary.txt"

if [ ${#BROKE[@]} -gt 0 ]; then
	printf '\ninterop: the infrastructure broke:\n' >&2
	printf '  - %s\n' "${BROKE[@]}" >&2
	exit 1
fi
echo "interop: done; results in $OUT/"
