#!/usr/bin/env bash
# release.sh — static, stamped ftpspec binaries for every platform we ship, archived, with checksums.
#
#   dist/ftpspec_<version>_<os>_<arch>/ftpspec[.exe]     the binary (CGO_ENABLED=0, -trimpath)
#   dist/ftpspec_<version>_<os>_<arch>.tar.gz            linux and darwin: the binary + README.md
#   dist/ftpspec_<version>_<os>_<arch>.zip               windows
#   dist/SHA256SUMS                                       sha256sum -c SHA256SUMS, from dist/
#
# for linux, darwin and windows on amd64 and arm64. The names are the ones .goreleaser.yaml gives a
# tagged GitHub release and the ones the GitHub Action (action.yml) downloads. This script needs
# nothing but Go, so `make release` runs the same on a laptop, in CI and on a clean clone; goreleaser
# is used for publishing (README, "Release binaries" says why make release does not depend on it).
#
# VERSION, COMMIT and DATE come from the Makefile (git describe, git rev-parse, the UTC time).
# Archives are reproducible: files sorted, owner 0, the commit's time as every mtime.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS

VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
COMMIT=${COMMIT:-$(git rev-parse HEAD 2>/dev/null || true)}
DATE=${DATE:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}
PLATFORMS=${PLATFORMS:-"linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64"}
DIST=${DIST:-dist}
ver=${VERSION#v}
epoch=$(git log -1 --format=%ct 2>/dev/null || date +%s)
ldflags="-s -w -X main.version=$VERSION -X main.commit=$COMMIT -X main.date=$DATE"

rm -rf "$DIST"
mkdir -p "$DIST"
for p in $PLATFORMS; do
  os=${p%/*} arch=${p#*/}
  name=ftpspec_${ver}_${os}_${arch}
  exe=ftpspec; [ "$os" = windows ] && exe=ftpspec.exe
  CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -buildvcs=false -ldflags "$ldflags" \
    -o "$DIST/$name/$exe" ./cmd/ftpspec
  # Static means no cgo: the build record says so for every platform.
  go version -m "$DIST/$name/$exe" | grep -q 'CGO_ENABLED=0' || { echo "release: $name/$exe was built with cgo" >&2; exit 1; }
  cp README.md "$DIST/$name/"
  touch -d "@$epoch" "$DIST/$name" "$DIST/$name"/*
  if [ "$os" = windows ]; then
    (cd "$DIST/$name" && zip -q -X -9 "../$name.zip" "$exe" README.md)
  else
    tar -C "$DIST/$name" --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner -cf - "$exe" README.md \
      | gzip -n -9 >"$DIST/$name.tar.gz"
  fi
  echo "release: $name ($(du -h "$DIST/$name/$exe" | cut -f1))"
done

# The binary for this machine must say what it is: the stamps went in.
host="$DIST/ftpspec_${ver}_$(go env GOOS)_$(go env GOARCH)/ftpspec"
if [ -x "$host" ]; then
  out=$("$host" version)
  grep -qF "ftpspec $VERSION" <<<"$out" && grep -qF "$COMMIT" <<<"$out" || { echo "release: $host version says: $out" >&2; exit 1; }
  if command -v readelf >/dev/null && readelf -l "$host" | grep -q INTERP; then
    echo "release: $host is dynamically linked" >&2; exit 1
  fi
fi

(cd "$DIST" && find . -type f \( -name '*.tar.gz' -o -name '*.zip' -o -name ftpspec -o -name ftpspec.exe \) | sed 's|^\./||' | LC_ALL=C sort \
  | xargs sha256sum >SHA256SUMS && sha256sum -c --quiet SHA256SUMS)
echo "release: $(grep -c . "$DIST/SHA256SUMS") files in $DIST/SHA256SUMS, version $VERSION, in $((SECONDS - start)) s"
