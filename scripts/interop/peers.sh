#!/usr/bin/env bash
# peers.sh — the real FTP servers of ftpspec's interop matrix: vsftpd, proftpd, pure-ftpd and
# pyftpdlib, each on 127.0.0.1 with its own control port, passive range and root directory.
#
#   peers.sh install             install them (apt-get; idempotent: skips what is there)
#   peers.sh start  [NAME...]    (re)start them with fresh roots; prints a status line per server
#   peers.sh stop   [NAME...]    stop them, session processes included
#   peers.sh status [NAME...]    a status line per server; exit 1 if one is down
#   peers.sh list   [NAME...]    a line per server without probing: NAME URL pasv=LO-HI tls=... anon=...
#
# Status lines read "NAME URL pasv=LO-HI tls=explicit|none anon=yes|no up pid=N" (or "down").
# Everything lives under $FTPSPEC_PEERS_HOME (default /opt/ftpspec-peers): unpacked packages in pkg/,
# the self-signed certificate in tls/, and per server run/NAME/ (config, pid, logs, root, anon).
# See README.md beside this script for the ports, users and the gotchas.
set -euo pipefail
umask 022

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PEERS_HOME=${FTPSPEC_PEERS_HOME:-/opt/ftpspec-peers}
PKG=$PEERS_HOME/pkg
RUN=$PEERS_HOME/run
TLS=$PEERS_HOME/tls
SYSUSER=${FTPSPEC_PEERS_SYSUSER:-ftpspec} # unprivileged account the servers switch to
PY=/usr/bin/python3                        # Debian's Python, where python3-pyftpdlib lives
FTP_USER="test"
FTP_PASS="test"
PAM_SERVICE=ftpspec-vsftpd

ALL=(vsftpd proftpd pure-ftpd pyftpdlib)
declare -A PORT=([vsftpd]=2131 [proftpd]=2132 [pure-ftpd]=2133 [pyftpdlib]=2134)
# Below the ephemeral range (32768-60999) and disjoint. pure-ftpd gets 2000 ports because it caps its
# clients at half its passive range.
declare -A PASV=([vsftpd]=21000-21999 [proftpd]=22000-22999 [pure-ftpd]=23000-24999 [pyftpdlib]=25000-25999)
declare -A ANON=([vsftpd]=yes [proftpd]=yes [pure-ftpd]=no [pyftpdlib]=yes)

VSFTPD=$PKG/vsftpd/usr/sbin/vsftpd
PUREFTPD=$PKG/pure-ftpd/usr/sbin/pure-ftpd
PUREPW=$PKG/pure-ftpd/usr/bin/pure-pw
PROFTPD=/usr/sbin/proftpd

log() { printf 'peers: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }
need_root() { [ "$(id -u)" = 0 ] || die "$1 needs root (it installs packages, switches users and binds as root)"; }

# names ARGS...: the servers named (all when none), checked against the known ones.
names() {
	local n k ok
	if [ $# = 0 ]; then printf '%s\n' "${ALL[@]}"; return; fi
	for n in "$@"; do
		ok=0
		for k in "${ALL[@]}"; do [ "$n" = "$k" ] && ok=1; done
		[ $ok = 1 ] || die "unknown server '$n' (known: ${ALL[*]})"
		printf '%s\n' "$n"
	done
}

have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# --- install ---------------------------------------------------------------------------------------

POLICY=/usr/sbin/policy-rc.d
POLICY_MADE=0
drop_policy() { if [ "$POLICY_MADE" = 1 ]; then rm -f "$POLICY"; POLICY_MADE=0; fi; }

# no_service_start CMD...: run an apt-get install so that no package starts its service (proftpd's
# postinst would start it on port 21): a policy-rc.d that exits 101 for the length of the command.
no_service_start() {
	local rc=0 pre=101
	if [ ! -e "$POLICY" ]; then
		trap drop_policy EXIT
		printf '#!/bin/sh\n# Written by ftpspec scripts/interop/peers.sh for one apt-get install; removed after it.\nexit 101\n' >"$POLICY"
		chmod 755 "$POLICY"
		POLICY_MADE=1
	else
		"$POLICY" proftpd start >/dev/null 2>&1 || pre=$?
	fi
	"$@" || rc=$?
	drop_policy
	if [ "$pre" != 101 ] && [ -r /run/proftpd.pid ]; then
		# An existing policy-rc.d let the package start proftpd: stop it by its own pid file.
		local p
		p=$(cat /run/proftpd.pid)
		if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = proftpd ]; then
			log "stopping the proftpd the package started (pid $p)"
			kill -TERM "$p" 2>/dev/null || true
		fi
	fi
	return $rc
}

# download_extract DIR PKG...: apt-get download the packages and unpack them into $PKG/DIR (no
# maintainer scripts run, so nothing starts and nothing conflicts with the installed proftpd).
download_extract() {
	local dir=$1 tmp deb p
	shift
	mkdir -p "$PKG"
	tmp=$(mktemp -d "$PEERS_HOME/download.XXXXXX")
	chmod 755 "$tmp"
	if id _apt >/dev/null 2>&1; then chown _apt "$tmp"; fi # apt-get download runs as _apt
	(cd "$tmp" && apt-get download -qq "$@")
	rm -rf "${PKG:?}/$dir.new"
	mkdir -p "$PKG/$dir.new"
	for p in "$@"; do
		deb=$(find "$tmp" -maxdepth 1 -name "${p}_*.deb" | head -n 1)
		[ -n "$deb" ] || die "apt-get download $p gave no .deb"
		dpkg-deb -x "$deb" "$PKG/$dir.new"
		printf '%s %s\n  Depends: %s\n' "$p" "$(dpkg-deb -f "$deb" Version)" "$(dpkg-deb -f "$deb" Depends)" >>"$PKG/$dir.new/PACKAGES"
	done
	rm -rf "$tmp" "${PKG:?}/$dir"
	mv "$PKG/$dir.new" "$PKG/$dir"
	log "unpacked $* into $PKG/$dir"
}

# ensure_sysuser: the unprivileged account the servers switch to. No password, no shell; its home is
# "/" because vsftpd changes into the home directory of its guest account before it chroots into
# local_root, and fails the login when it cannot ("500 OOPS: cannot change directory").
ensure_sysuser() {
	local home
	if ! getent passwd "$SYSUSER" >/dev/null; then
		log "creating system account $SYSUSER (no password, no shell)"
		useradd --system --user-group --no-create-home --home-dir / --shell /usr/sbin/nologin "$SYSUSER"
	fi
	home=$(getent passwd "$SYSUSER" | cut -d: -f6)
	if [ ! -d "$home" ]; then
		log "setting the home of $SYSUSER to / (was $home, which does not exist)"
		usermod --home / "$SYSUSER"
	fi
}

# ensure_cert: a self-signed certificate for 127.0.0.1 (CA:TRUE, so it can serve as its own trust
# anchor: SSL_CERT_FILE=$TLS/cert.pem for Go, --cacert for curl), regenerated when near expiry.
ensure_cert() {
	mkdir -p "$TLS"
	if [ ! -s "$TLS/key.pem" ] || ! openssl x509 -checkend 86400 -noout -in "$TLS/cert.pem" >/dev/null 2>&1; then
		log "generating a self-signed certificate in $TLS"
		openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -subj "/CN=127.0.0.1" \
			-addext "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost" \
			-addext "basicConstraints=critical,CA:TRUE" \
			-keyout "$TLS/key.pem.new" -out "$TLS/cert.pem.new" >/dev/null 2>&1 ||
			die "openssl could not make a certificate in $TLS"
		mv "$TLS/key.pem.new" "$TLS/key.pem"
		mv "$TLS/cert.pem.new" "$TLS/cert.pem"
	fi
	# pyftpdlib runs as $SYSUSER and reads the key itself.
	chown "root:$SYSUSER" "$TLS/key.pem"
	chmod 640 "$TLS/key.pem"
	chmod 644 "$TLS/cert.pem"
}

# check_libs BIN...: every shared library the unpacked binaries need is installed.
check_libs() {
	local b missing
	for b in "$@"; do
		[ -x "$b" ] || die "$b is missing (run: $0 install)"
		missing=$(ldd "$b" 2>&1 | awk '/not found/ {print $1}' | tr '\n' ' ')
		[ -z "$missing" ] || die "$b needs libraries that are not installed: $missing"
	done
}

cmd_install() {
	need_root install
	local apt=() dl_vsftpd=0 dl_pure=0 p
	# Libraries of the unpacked packages (from `dpkg-deb -f X.deb Depends`; check_libs verifies them),
	# proftpd (the one server installed the normal way), PAM's pwdfile module for vsftpd's virtual
	# user, pyftpdlib with PyOpenSSL for its TLS, openssl for the certificate, curl for the smoke test.
	for p in proftpd-basic libwrap0 libcap2 libpam0g libpam-modules libssl3 libsodium23 libcrypt1 \
		libpam-pwdfile openssl curl; do
		have_pkg "$p" || apt+=("$p")
	done
	"$PY" -c 'import pyftpdlib' 2>/dev/null || apt+=(python3-pyftpdlib)
	"$PY" -c 'import OpenSSL' 2>/dev/null || apt+=(python3-openssl)
	[ -x "$VSFTPD" ] || dl_vsftpd=1
	{ [ -x "$PUREFTPD" ] && [ -x "$PUREPW" ]; } || dl_pure=1

	if [ ${#apt[@]} = 0 ] && [ $dl_vsftpd = 0 ] && [ $dl_pure = 0 ]; then
		log "install: everything is already there"
	else
		export DEBIAN_FRONTEND=noninteractive
		mkdir -p "$PEERS_HOME"
		log "apt-get update"
		apt-get update -qq
		if [ ${#apt[@]} -gt 0 ]; then
			log "apt-get install ${apt[*]}"
			no_service_start apt-get install -y -qq --no-install-recommends "${apt[@]}" >/dev/null
		fi
		# vsftpd, proftpd and pure-ftpd each Provide and Conflict with ftp-server: only one of them can
		# be installed with apt. The other two are unpacked into our own folder.
		if [ $dl_vsftpd = 1 ]; then download_extract vsftpd vsftpd; fi
		if [ $dl_pure = 1 ]; then download_extract pure-ftpd pure-ftpd pure-ftpd-common; fi
	fi
	ensure_sysuser
	ensure_cert
	check_libs "$VSFTPD" "$PUREFTPD" "$PUREPW" "$PROFTPD"
	[ -e /usr/lib/x86_64-linux-gnu/security/pam_pwdfile.so ] || [ -n "$(find /usr/lib /lib -name pam_pwdfile.so -print -quit 2>/dev/null)" ] ||
		die "pam_pwdfile.so not found (package libpam-pwdfile)"
	"$PY" -c 'import pyftpdlib' || die "$PY cannot import pyftpdlib (package python3-pyftpdlib)"
	"$PY" -c 'import OpenSSL' || die "$PY cannot import OpenSSL, pyftpdlib's TLS (package python3-openssl)"
}

# --- processes -------------------------------------------------------------------------------------

# state PID: the process's state letter (R, S, Z, ...), or nothing when there is no such process.
state() {
	local st
	{ read -r st <"/proc/$1/stat"; } 2>/dev/null || return 0
	st=${st##*) }
	printf '%s' "${st%% *}"
}

# alive PID: running, not a zombie. This machine's PID 1 reaps orphans only every few seconds, so a
# killed server lingers as a zombie that kill -0 still reports.
alive() {
	local s
	s=$(state "$1")
	[ -n "$s" ] && [ "$s" != Z ] && [ "$s" != X ]
}

# tree PID: PID and all its descendants. vsftpd puts each session in its own session (setsid), so
# killing a process group misses them: follow parent pids instead, before the parent is gone.
tree() {
	local -A kids=()
	local f st pid ppid rest queue=("$1") out=()
	for f in /proc/[0-9]*/stat; do
		{ read -r st <"$f"; } 2>/dev/null || continue
		pid=${st%% *}
		rest=${st##*) }
		read -r _ ppid _ <<<"$rest"
		kids[$ppid]+=" $pid"
	done
	while [ ${#queue[@]} -gt 0 ]; do
		pid=${queue[0]}
		queue=("${queue[@]:1}")
		out+=("$pid")
		# shellcheck disable=SC2206 # word-splitting the list of child pids is intended
		[ -n "${kids[$pid]:-}" ] && queue+=(${kids[$pid]})
	done
	printf '%s\n' "${out[@]}"
}

# ours NAME PID: the process is one of NAME's (its binary, or its command line names NAME's run dir).
ours() {
	local n=$1 pid=$2 exe cmd=()
	exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
	{ mapfile -d '' -t cmd <"/proc/$pid/cmdline"; } 2>/dev/null || return 1
	case $n in
	vsftpd) [ "$exe" = "$VSFTPD" ] ;;
	proftpd) [ "$exe" = "$PROFTPD" ] ;;
	pure-ftpd) [ "$exe" = "$PUREFTPD" ] ;;
	pyftpdlib) [[ "$exe" == */python3* && "${cmd[*]}" == *"$RUN/pyftpdlib/"* ]] ;;
	esac
}

# orphans NAME: session processes of NAME whose listener is gone (left by a run that was killed).
orphans() {
	local n=$1 f pid cmd=()
	for f in /proc/[0-9]*/cmdline; do
		{ mapfile -d '' -t cmd <"$f"; } 2>/dev/null || continue
		[[ "${cmd[*]}" == *"$RUN/$n/"* ]] || continue
		pid=${f#/proc/}
		pid=${pid%/cmdline}
		if alive "$pid" && ours "$n" "$pid"; then echo "$pid"; fi
	done
}

# terminate PID...: TERM, wait up to 5 s, then KILL what is left.
terminate() {
	local p left
	[ $# -gt 0 ] || return 0
	kill -TERM "$@" 2>/dev/null || true
	for _ in $(seq 1 50); do
		left=0
		for p in "$@"; do alive "$p" && left=1; done
		[ $left = 0 ] && return 0
		sleep 0.1
	done
	kill -KILL "$@" 2>/dev/null || true
	for _ in $(seq 1 20); do
		left=0
		for p in "$@"; do alive "$p" && left=1; done
		[ $left = 0 ] && return 0
		sleep 0.1
	done
	log "processes still alive after SIGKILL: $*"
	return 1
}

stop_one() {
	local n=$1 d=$RUN/$1 pid pids=() p
	if [ -f "$d/pid" ]; then
		pid=$(cat "$d/pid")
		if alive "$pid" && ours "$n" "$pid"; then
			mapfile -t pids < <(tree "$pid")
		fi
	fi
	if [ -d "$d" ]; then
		for p in $(orphans "$n"); do
			[[ " ${pids[*]} " == *" $p "* ]] || pids+=("$p")
		done
	fi
	if [ ${#pids[@]} -gt 0 ]; then
		if [ ${#pids[@]} = 1 ]; then log "stopping $n (pid ${pids[0]})"; else log "stopping $n (pid ${pids[0]} and $((${#pids[@]} - 1)) more)"; fi
		terminate "${pids[@]}" || return 1
	fi
	rm -f "$d/pid"
}

# --- configuration and start -----------------------------------------------------------------------

# tls_of NAME: every peer offers explicit TLS (pyftpdlib through PyOpenSSL, which install checks).
tls_of() { echo explicit; }

url_of() { printf 'ftp://%s:%s@127.0.0.1:%s' "$FTP_USER" "$FTP_PASS" "${PORT[$1]}"; }

line_of() { printf '%s %s pasv=%s tls=%s anon=%s' "$1" "$(url_of "$1")" "${PASV[$1]}" "$(tls_of "$1")" "${ANON[$1]}"; }

# render TEMPLATE NAME: the template with NAME's values in place of the @NAMES@.
render() {
	local n=$2 lo hi
	lo=${PASV[$n]%-*}
	hi=${PASV[$n]#*-}
	sed -e "s|@PORT@|${PORT[$n]}|g" -e "s|@PASV_LO@|$lo|g" -e "s|@PASV_HI@|$hi|g" \
		-e "s|@RUN@|$RUN/$n|g" -e "s|@ROOT@|$RUN/$n/root|g" -e "s|@ANON@|$RUN/$n/anon|g" \
		-e "s|@CERT@|$TLS/cert.pem|g" -e "s|@KEY@|$TLS/key.pem|g" \
		-e "s|@SYSUSER@|$SYSUSER|g" -e "s|@SYSGROUP@|$(id -gn "$SYSUSER")|g" \
		-e "s|@PAM_SERVICE@|$PAM_SERVICE|g" "$HERE/$1"
}

# seed NAME: a fresh user root (writable by the test user) and anonymous root (read-only), each with
# files a conformance run can read.
seed() {
	local d=$RUN/$1 text
	case $d in "$PEERS_HOME"/run/?*) ;; *) die "refusing to reset $d" ;; esac
	rm -rf "$d/root" "$d/anon" "$d/empty"
	mkdir -p "$d/root/pub" "$d/anon/pub" "$d/empty"
	text="This file belongs to ftpspec's interop peer $1 and is recreated at every start."
	printf '%s\n' "$text" >"$d/root/readme.txt"
	printf '%s\n' "$text" >"$d/root/pub/readme.txt"
	printf '%s\n' "$text" >"$d/anon/readme.txt"
	printf '%s\n' "$text" >"$d/anon/pub/readme.txt"
	# 1 MiB whose bytes are a function of their offset: a known file to RETR, REST into, SIZE.
	"$PY" -c 'import sys; sys.stdout.buffer.write(bytes(i % 251 for i in range(1 << 20)))' >"$d/root/sample-1m.bin"
	cp "$d/root/sample-1m.bin" "$d/anon/sample-1m.bin"
	chown -R "$SYSUSER:" "$d/root"
	chmod -R a+rX,go-w "$d/anon"
}

# launch NAME CMD...: run CMD in a session of its own, in the foreground of that session, with its
# output in NAME's log; its pid goes to NAME's pid file.
launch() {
	local n=$1 d=$RUN/$1
	shift
	setsid "$@" </dev/null >>"$d/stdout.log" 2>&1 &
	echo $! >"$d/pid"
}

start_one() {
	local n=$1 d=$RUN/$1 hash uid gid flags=() l
	mkdir -p "$d"
	: >"$d/stdout.log"
	seed "$n"
	hash=$(openssl passwd -6 -salt ftpspecinterop "$FTP_PASS")
	uid=$(id -u "$SYSUSER")
	gid=$(id -g "$SYSUSER")
	case $n in
	vsftpd)
		printf '%s:%s\n' "$FTP_USER" "$hash" >"$d/passwd"
		chmod 600 "$d/passwd"
		render vsftpd.pam.in "$n" >"/etc/pam.d/$PAM_SERVICE"
		render vsftpd.conf.in "$n" >"$d/vsftpd.conf"
		launch "$n" "$VSFTPD" "$d/vsftpd.conf"
		;;
	proftpd)
		{
			printf '%s:%s:%s:%s::%s:/usr/sbin/nologin\n' "$FTP_USER" "$hash" "$uid" "$gid" "$d/root"
			printf '%s:*:%s:%s::%s:/usr/sbin/nologin\n' "$SYSUSER" "$uid" "$gid" "$d/anon"
		} >"$d/passwd"
		printf '%s:x:%s:\n' "$(id -gn "$SYSUSER")" "$gid" >"$d/group"
		chmod 600 "$d/passwd" "$d/group"
		render proftpd.conf.in "$n" >"$d/proftpd.conf"
		launch "$n" "$PROFTPD" --nodaemon --config "$d/proftpd.conf"
		;;
	pure-ftpd)
		# PureDB text format: 18 colon-separated fields; "/./" ends the chroot part of the home.
		printf '%s:%s:%s:%s::%s/./::::::::::::\n' "$FTP_USER" "$hash" "$uid" "$gid" "$d/root" >"$d/pureftpd.passwd"
		chmod 600 "$d/pureftpd.passwd"
		rm -f "$d/pureftpd.pdb"
		"$PUREPW" mkdb "$d/pureftpd.pdb" -f "$d/pureftpd.passwd" >/dev/null
		render pure-ftpd.flags.in "$n" >"$d/pure-ftpd.flags"
		while IFS= read -r l; do
			case $l in '' | '#'*) continue ;; esac
			flags+=("$l")
		done <"$d/pure-ftpd.flags"
		launch "$n" "$PUREFTPD" "${flags[@]}"
		;;
	pyftpdlib)
		# Unprivileged: it switches no user, so it runs as $SYSUSER from the start (a copy of the
		# script it can read wherever the repo is checked out).
		cp "$HERE/pyftpd.py" "$d/pyftpd.py"
		chmod 644 "$d/pyftpd.py"
		flags=(--port "${PORT[$n]}" --user "$FTP_USER" --password "$FTP_PASS" --root "$d/root"
			--anon-root "$d/anon" --pasv "${PASV[$n]}")
		flags+=(--cert "$TLS/cert.pem" --key "$TLS/key.pem")
		launch "$n" setpriv --reuid="$SYSUSER" --regid="$SYSUSER" --clear-groups "$PY" "$d/pyftpd.py" "${flags[@]}"
		;;
	esac
}

# banner PORT: the first line the server sends, or nothing.
banner() {
	# shellcheck disable=SC2016 # $1 and $l belong to the inner shell
	timeout 4 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && IFS= read -r -t 3 l <&3 && printf "%s" "$l"' _ "$1" 2>/dev/null | tr -d '\r' || true
}

# wait_up NAME: until the server greets with 220 (15 s at most).
wait_up() {
	local n=$1 d=$RUN/$1 pid b=""
	pid=$(cat "$d/pid")
	for _ in $(seq 1 75); do
		if ! alive "$pid"; then
			log "$n exited at start; last lines of $d/stdout.log:"
			tail -n 5 "$d/stdout.log" | sed 's/^/    /' >&2
			return 1
		fi
		b=$(banner "${PORT[$n]}")
		case $b in
		220*) return 0 ;;
		"") ;;
		*)
			log "$n greets with '$b'"
			return 1
			;;
		esac
		sleep 0.2
	done
	log "$n did not greet on port ${PORT[$n]} within 15 s"
	return 1
}

# port_taken PORT: something accepts connections on 127.0.0.1:PORT.
# shellcheck disable=SC2016 # $1 belongs to the inner shell
port_taken() { timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null; }

status_line() {
	local n=$1 pid=""
	[ -f "$RUN/$n/pid" ] && pid=$(cat "$RUN/$n/pid")
	if [ -n "$pid" ] && alive "$pid" && ours "$n" "$pid" && [[ "$(banner "${PORT[$n]}")" == 220* ]]; then
		printf '%s up pid=%s\n' "$(line_of "$n")" "$pid"
		return 0
	fi
	printf '%s down\n' "$(line_of "$n")"
	return 1
}

cmd_start() {
	need_root start
	check_libs "$VSFTPD" "$PUREFTPD" "$PUREPW" "$PROFTPD"
	local n rc=0 started=()
	for n in "$@"; do stop_one "$n" || rc=1; done
	ensure_sysuser
	ensure_cert
	for n in "$@"; do
		if port_taken "${PORT[$n]}"; then
			log "$n: port ${PORT[$n]} on 127.0.0.1 is taken by a process that is not ours; not starting $n"
			rc=1
			continue
		fi
		start_one "$n"
		started+=("$n")
	done
	for n in "${started[@]}"; do wait_up "$n" || rc=1; done
	for n in "$@"; do status_line "$n" || rc=1; done
	return $rc
}

cmd_stop() {
	local n rc=0
	for n in "$@"; do stop_one "$n" || rc=1; done
	return $rc
}

cmd_status() {
	local n rc=0
	for n in "$@"; do status_line "$n" || rc=1; done
	return $rc
}

main() {
	local verb=${1:-} sel n
	[ $# -gt 0 ] && shift
	mapfile -t sel < <(names "$@")
	[ ${#sel[@]} -gt 0 ] || exit 2
	case $verb in
	install) cmd_install ;;
	start) cmd_start "${sel[@]}" ;;
	stop) cmd_stop "${sel[@]}" ;;
	status) cmd_status "${sel[@]}" ;;
	list) for n in "${sel[@]}"; do line_of "$n"; echo; done ;;
	*)
		sed -n '2,13s/^# \{0,1\}//p' "$0" >&2
		exit 2
		;;
	esac
}

main "$@"
