#!/usr/bin/env bash
# install.sh — the GitHub Action's first step: put the ftpspec release binary for this runner's OS
# and architecture in a directory of its own, checked against the release's SHA256SUMS.
#
# The version is the `version` input, else the ref the action was used at (uses: …@v1.2.3). A
# version that is not a release tag (a branch, a commit SHA), or a tag without release assets, is
# built from the action's source instead: the step says so in its build-from-source output, and
# the action's next steps set up Go and run build.sh.
#
# In:  INPUT_VERSION, ACTION_REF, RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP, GITHUB_OUTPUT,
#      FTPSPEC_RELEASE_BASE (default https://github.com/ftpspec/ftpspec/releases/download)
# Out: bin-dir, build-from-source (true/false), version
set -euo pipefail

case "${RUNNER_OS:-}" in
  Linux) os=linux ;; macOS) os=darwin ;; Windows) os=windows ;;
  *) echo "::error title=ftpspec::RUNNER_OS '${RUNNER_OS:-}' is not Linux, macOS or Windows"; exit 2 ;;
esac
case "${RUNNER_ARCH:-}" in
  X64) arch=amd64 ;; ARM64) arch=arm64 ;;
  *) echo "::error title=ftpspec::RUNNER_ARCH '${RUNNER_ARCH:-}' is not X64 or ARM64: no ftpspec release for it"; exit 2 ;;
esac

version=${INPUT_VERSION:-${ACTION_REF:-}}
bin_dir=${RUNNER_TEMP:?RUNNER_TEMP is not set}/ftpspec-bin
rm -rf "$bin_dir"
mkdir -p "$bin_dir"
{ echo "bin-dir=$bin_dir"; echo "version=$version"; } >>"$GITHUB_OUTPUT"

from_source() {
  echo "ftpspec: $1; building $version from the action's source"
  echo "build-from-source=true" >>"$GITHUB_OUTPUT"
  exit 0
}

if ! [[ $version =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
  from_source "'${version:-no version}' is not a release tag"
fi

base=${FTPSPEC_RELEASE_BASE:-https://github.com/ftpspec/ftpspec/releases/download}
ext=tar.gz; [ "$os" = windows ] && ext=zip
asset=ftpspec_${version#v}_${os}_${arch}.$ext
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fetch() { # fetch URL FILE → prints the HTTP status
  curl -sSL --retry 3 --retry-connrefused -o "$2" -w '%{http_code}' "$1" || true
}
status=$(fetch "$base/$version/$asset" "$work/$asset")
case $status in
  200) ;;
  404) from_source "release $version has no asset $asset" ;;
  *) echo "::error title=ftpspec::downloading $base/$version/$asset: HTTP status '$status'"; exit 3 ;;
esac
status=$(fetch "$base/$version/SHA256SUMS" "$work/SHA256SUMS")
[ "$status" = 200 ] || { echo "::error title=ftpspec::downloading $base/$version/SHA256SUMS: HTTP status '$status'"; exit 3; }

want=$(awk -v f="$asset" '$2 == f || $2 == "*" f { print $1 }' "$work/SHA256SUMS")
[ -n "$want" ] || { echo "::error title=ftpspec::SHA256SUMS of $version does not list $asset"; exit 3; }
if command -v sha256sum >/dev/null; then got=$(sha256sum "$work/$asset" | cut -d' ' -f1)
else got=$(shasum -a 256 "$work/$asset" | cut -d' ' -f1); fi
[ "$got" = "$want" ] || { echo "::error title=ftpspec::checksum mismatch for $asset: SHA256SUMS says $want, the download is $got"; exit 3; }

exe=ftpspec; [ "$os" = windows ] && exe=ftpspec.exe
if [ "$ext" = zip ]; then unzip -q -o "$work/$asset" "$exe" -d "$bin_dir"
else tar -xzf "$work/$asset" -C "$bin_dir" "$exe"; fi
chmod +x "$bin_dir/$exe"
echo "build-from-source=false" >>"$GITHUB_OUTPUT"
echo "ftpspec: installed $asset (sha256 $got)"
"$bin_dir/$exe" version
