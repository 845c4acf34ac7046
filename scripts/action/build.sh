#!/usr/bin/env bash
# build.sh — the GitHub Action's fallback when its ref has no release: build ftpspec from the
# action's own source (Go is set up by the step before) into the install step's directory.
# In: ACTION_PATH, FTPSPEC_BIN_DIR, ACTION_REF, RUNNER_OS
set -euo pipefail
exe=ftpspec; [ "${RUNNER_OS:-}" = Windows ] && exe=ftpspec.exe
ref=${ACTION_REF:-source}
cd "$ACTION_PATH"
CGO_ENABLED=0 go build -trimpath \
  -ldflags "-X main.version=$ref -X main.date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  -o "$FTPSPEC_BIN_DIR/$exe" ./cmd/ftpspec
"$FTPSPEC_BIN_DIR/$exe" version
