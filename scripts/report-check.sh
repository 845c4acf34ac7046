#!/usr/bin/env bash
# report-check: renders a report from run documents (default: a fresh conformance and load run,
# plus the interop matrix's documents when present) and looks at it in headless Chromium: the page
# renders with no console errors, the matrix and the charts are present, and a screenshot is taken.
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
WITH_CHROMIUM=1 scripts/install-deps.sh
out=out/report-check; mkdir -p "$out"
if [ $# -eq 0 ]; then
  "$FTPSPEC" conform --json "$out/conform.json" >/dev/null || true
  "$FTPSPEC" load --sessions 100 --transfers 3 --json "$out/load.json" >/dev/null || true
  set -- "$out/conform.json" "$out/load.json" $(ls out/interop/*.json 2>/dev/null | grep -v -- '-load.json' || true)
fi
"$FTPSPEC" report "$@" --html "$out/report.html" --junit "$out/report.xml" --markdown "$out/report.md"
xmllint --noout --schema reports/testdata/junit.xsd "$out/report.xml"
# The Go test renders its own fixtures; this looks at the real report.
go test -count=1 -tags chromium -run Chromium ./reports/
ud=$(mktemp -d); trap 'rm -rf "$ud"; cleanup' EXIT
ch=(chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking --user-data-dir="$ud")
timeout 90 "${ch[@]}" --enable-logging=stderr --v=0 --virtual-time-budget=5000 --dump-dom "file://$ROOT/$out/report.html" >"$out/dom.html" 2>"$out/console.log" || true
grep -q '<svg' "$out/dom.html" || { echo "report-check: rendered DOM has no chart" >&2; exit 1; }
grep -q 'class="matrix' "$out/dom.html" || { echo "report-check: rendered DOM has no matrix" >&2; exit 1; }
if grep -E 'Uncaught|ERROR:CONSOLE' "$out/console.log" >&2; then echo "report-check: console errors" >&2; exit 1; fi
timeout 90 "${ch[@]}" --window-size=1280,2000 --screenshot="$ROOT/$out/report.png" "file://$ROOT/$out/report.html" >/dev/null 2>&1 || true
[ "$(stat -c %s "$out/report.png" 2>/dev/null || echo 0)" -gt 30000 ] || { echo "report-check: screenshot missing or blank" >&2; exit 1; }
echo "report-check: $out/report.html renders (matrix, charts, no console errors); screenshot $out/report.png"
