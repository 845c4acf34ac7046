#!/usr/bin/env bash
# image.sh — build (and check) the ftpspec container image from Containerfile.
#
#   scripts/image.sh build   the static linux binary for this machine's architecture (or GOARCH),
#                            then the FROM scratch image, tagged $IMAGE:<version> and $IMAGE:latest
#   scripts/image.sh check   build, then prove what can be proved without running a container:
#                            the entrypoint, the non-root user, the labels, the files in the image,
#                            and the binary copied out of it (podman create + podman cp) runs
#                            `version` with the right stamp. It then tries `podman run`, which a
#                            sandboxed VM may not allow: that failure is reported, not fatal.
#
# Uses podman, or docker when its engine answers (a docker client without an engine does not
# count). As root with apt-get and neither present, it installs podman first.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
cmd=${1:-build}
IMAGE=${IMAGE:-ghcr.io/ftpspec/ftpspec}
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
COMMIT=${COMMIT:-$(git rev-parse HEAD 2>/dev/null || true)}
DATE=${DATE:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}
ARCH=${GOARCH:-$(go env GOARCH)}
tag=$(printf '%s' "${VERSION#v}" | tr -c 'A-Za-z0-9_.-' '-')
USER_ID=65532

tool=
if command -v podman >/dev/null; then tool=podman
elif command -v docker >/dev/null && docker info >/dev/null 2>&1; then tool=docker
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "image: installing podman"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends podman >/dev/null
  tool=podman
else
  echo "image: neither podman nor a running docker engine; install podman (apt-get install podman)" >&2
  exit 3
fi

work=$(mktemp -d)
cid=
cleanup() {
  [ -n "$cid" ] && $tool rm -f "$cid" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

build() {
  local ctx=$work/context root=$work/root
  mkdir -p "$ctx" "$root/tmp"
  CGO_ENABLED=0 GOOS=linux GOARCH=$ARCH go build -trimpath -buildvcs=false \
    -ldflags "-s -w -X main.version=$VERSION -X main.commit=$COMMIT -X main.date=$DATE" \
    -o "$root/ftpspec" ./cmd/ftpspec
  chmod 0755 "$root/ftpspec"
  chmod 1777 "$root/tmp"
  tar -C "$root" --owner=0 --group=0 --numeric-owner -cf "$ctx/rootfs.tar" ftpspec tmp
  $tool build --quiet --no-cache -f Containerfile --platform "linux/$ARCH" \
    --build-arg "VERSION=$VERSION" --build-arg "COMMIT=$COMMIT" --build-arg "DATE=$DATE" \
    -t "$IMAGE:$tag" -t "$IMAGE:latest" "$ctx" >/dev/null
  echo "image: built $IMAGE:$tag and $IMAGE:latest with $tool ($($tool image inspect --format '{{.Size}}' "$IMAGE:$tag") bytes) in $((SECONDS - start)) s"
}

fail() { echo "image check: $*" >&2; exit 1; }

check() {
  local ref=$IMAGE:$tag got
  got=$($tool image inspect --format '{{json .Config.Entrypoint}}' "$ref")
  [ "$got" = '["/ftpspec"]' ] || fail "entrypoint is $got, want [\"/ftpspec\"]"
  got=$($tool image inspect --format '{{.Config.User}}' "$ref")
  [ "${got%%:*}" = "$USER_ID" ] || fail "user is '$got', want $USER_ID (numeric, non-root)"
  got=$($tool image inspect --format '{{index .Config.Labels "org.opencontainers.image.version"}}' "$ref")
  [ "$got" = "$VERSION" ] || fail "label org.opencontainers.image.version is '$got', want $VERSION"
  got=$($tool image inspect --format '{{.Architecture}}' "$ref")
  [ "$got" = "$ARCH" ] || fail "architecture is $got, want $ARCH"

  cid=$($tool create "$ref" version)
  # Exactly the binary and /tmp (world-writable, sticky): nothing else came in with the image.
  $tool export "$cid" | tar -tvf - >"$work/files"
  grep -Eq '^-r.x.*[ /]ftpspec$' "$work/files" || fail "no executable /ftpspec in the image: $(cat "$work/files")"
  grep -Eq '^drwxrwxrwt .* tmp/?$' "$work/files" || fail "/tmp is not mode 1777: $(grep tmp "$work/files")"
  extra=$(grep -Ev '[ /](ftpspec|tmp/?)$' "$work/files" | grep -Ev ' (dev|etc|proc|sys|run)(/.*)?$' || true)
  [ -z "$extra" ] || fail "unexpected files in the image: $extra"

  $tool cp "$cid:/ftpspec" "$work/ftpspec"
  if [ "$ARCH" = "$(go env GOHOSTARCH)" ]; then
    got=$("$work/ftpspec" version)
    grep -qxF "ftpspec $VERSION" <<<"$got" || fail "the image's binary says: $got"
    grep -qF "$COMMIT" <<<"$got" || fail "the image's binary has no commit $COMMIT: $got"
    echo "image: the binary copied out of the image runs: $(head -1 <<<"$got")"
  fi

  if out=$($tool run --rm "$ref" version 2>&1); then
    grep -qxF "ftpspec $VERSION" <<<"$out" || fail "podman run $ref version says: $out"
    echo "image: $tool run $ref version: $(head -1 <<<"$out")"
  else
    echo "image: running a container is not possible here (checked everything else): $(tail -1 <<<"$out")"
  fi
  echo "image: check passed for $ref (entrypoint /ftpspec, user $USER_ID, $(wc -l <"$work/files") entries) in $((SECONDS - start)) s"
}

case $cmd in
  build) build ;;
  check) build; check ;;
  *) echo "usage: $0 build|check" >&2; exit 2 ;;
esac
