#!/usr/bin/env bash
# fuzz: runs every Go fuzz target for FUZZTIME each (default 15s); the seed corpora run in `make test`.
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for f in $(grep -hoE '^func (Fuzz[A-Za-z0-9_]+)' "$dir"/*_test.go 2>/dev/null | awk '{print $2}' | sort -u); do
    echo "== $pkg $f"
    go test -run '^$' -fuzz "^$f\$" -fuzztime "${FUZZTIME:-15s}" "$pkg"
  done
done
