#!/usr/bin/env bash
# run.sh — the GitHub Action's main step: run `ftpspec <command>` with the inputs, append its
# Markdown summary to $GITHUB_STEP_SUMMARY, set the outputs, and exit with ftpspec's exit code
# (0 pass, 1 finding, 2 bad input, 3 could not complete) so the job fails when ftpspec does.
#
# In:  INPUT_COMMAND INPUT_TARGET INPUT_ARGS INPUT_EXPECT INPUT_HTML INPUT_JUNIT INPUT_JSON,
#      FTPSPEC (the binary), GITHUB_STEP_SUMMARY, GITHUB_OUTPUT, RUNNER_TEMP
# Out: verdict, exit-code, json, html, junit
set -uo pipefail

command=${INPUT_COMMAND:-conform}
ftpspec=${FTPSPEC:-ftpspec}
work=$(mktemp -d "${RUNNER_TEMP:-/tmp}/ftpspec-action.XXXXXX")
trap 'rm -rf "$work"' EXIT

verdict_of() {
  case $1 in
    0) echo pass ;; 1) echo fail ;; 2) echo bad-input ;; *) echo incomplete ;;
  esac
}

# finish CODE [MESSAGE]: outputs, summary, exit.
finish() {
  local code=$1 msg=${2:-} verdict
  verdict=$(verdict_of "$code")
  {
    echo "verdict=$verdict"
    echo "exit-code=$code"
    echo "json=$( [ -n "${INPUT_JSON:-}" ] && [ -f "$INPUT_JSON" ] && echo "$INPUT_JSON")"
    echo "html=$( [ -n "${INPUT_HTML:-}" ] && [ -f "$INPUT_HTML" ] && echo "$INPUT_HTML")"
    echo "junit=$( [ -n "${INPUT_JUNIT:-}" ] && [ -f "$INPUT_JUNIT" ] && echo "$INPUT_JUNIT")"
  } >>"$GITHUB_OUTPUT"
  if [ -s "$work/summary.md" ]; then
    cat "$work/summary.md" >>"$GITHUB_STEP_SUMMARY"
  else
    # No summary was written (bad input, or the run never started): say why on the job page.
    printf '### ftpspec %s: %s (exit %s)\n\n```\n%s\n```\n' "$command" "$verdict" "$code" "$msg" >>"$GITHUB_STEP_SUMMARY"
  fi
  if [ "$code" != 0 ]; then
    echo "::error title=ftpspec $command: $verdict::${msg:-exit $code}"
  fi
  exit "$code"
}

case $command in
  conform | load | bench) ;;
  *) finish 2 "input command: '$command' is not conform, load or bench" ;;
esac

# The password of an ftp://user:pass@ URL stays out of the log even when it was not a secret.
if [[ ${INPUT_TARGET:-} =~ ://[^:/@]*:([^@/]+)@ ]]; then
  echo "::add-mask::${BASH_REMATCH[1]}"
fi

# Split args as a shell would (quotes group, backslashes escape) without evaluating anything:
# xargs does exactly that splitting, and runs no command substitution or glob.
extra=()
if [ -n "${INPUT_ARGS:-}" ]; then
  if ! printf '%s' "$INPUT_ARGS" | xargs printf '%s\0' >"$work/args" 2>"$work/args.err"; then
    finish 2 "input args: $(cat "$work/args.err")"
  fi
  while IFS= read -r -d '' a; do extra+=("$a"); done <"$work/args"
fi

argv=("$command")
[ -n "${INPUT_TARGET:-}" ] && argv+=(--target "$INPUT_TARGET")
[ -n "${INPUT_EXPECT:-}" ] && argv+=(--expect "$INPUT_EXPECT")
for f in "${INPUT_JSON:-}" "${INPUT_HTML:-}" "${INPUT_JUNIT:-}"; do
  [ -n "$f" ] && mkdir -p "$(dirname "$f")"
done
[ -n "${INPUT_JSON:-}" ] && argv+=(--json "$INPUT_JSON")
[ -n "${INPUT_HTML:-}" ] && argv+=(--html "$INPUT_HTML")
[ -n "${INPUT_JUNIT:-}" ] && argv+=(--junit "$INPUT_JUNIT")
argv+=(--markdown "$work/summary.md" ${extra[@]+"${extra[@]}"})

echo "ftpspec ${argv[*]}" | sed -E 's#(://[^:/@]*:)[^@/]+@#\1***@#g'
# stdout to the log as it is; stderr to the log and to a file, for the error annotation.
{ "$ftpspec" "${argv[@]}" 2>&1 1>&3 3>&- | tee "$work/stderr" >&2; } 3>&1
code=${PIPESTATUS[0]}
finish "$code" "$(grep -v '^\s*$' "$work/stderr" | tail -n 1)"
