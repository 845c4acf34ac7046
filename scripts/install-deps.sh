#!/usr/bin/env bash
# Installs the real peers and tools the tests use (Debian packages). Idempotent: skips what is there.
set -euo pipefail
need=()
command -v curl >/dev/null || need+=(curl)
command -v lftp >/dev/null || need+=(lftp)
command -v xmllint >/dev/null || need+=(libxml2-utils)
command -v iperf3 >/dev/null || need+=(iperf3)
command -v ip >/dev/null || need+=(iproute2)          # the NAT lab (make lab)
command -v iptables >/dev/null || need+=(iptables)
/usr/bin/python3 -c 'import pyftpdlib' 2>/dev/null || need+=(python3-pyftpdlib)
if [ "${WITH_CHROMIUM:-0}" = 1 ]; then command -v chromium >/dev/null || need+=(chromium); fi
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
