#!/usr/bin/env bash
# Step 3 of the kstor action: lints the paths and reports.
#
# 1. SARIF to INPUT_SARIF_FILE (default $RUNNER_TEMP/kstor.sarif), for code scanning;
# 2. the findings in INPUT_FORMAT (default github: annotations on the pull request's diff) to
#    the log, with INPUT_FAIL_ON deciding the exit code;
# 3. the job summary ($GITHUB_STEP_SUMMARY): the counts, the findings as text (folded) and the
#    pattern report (`kstor report --format markdown`).
# kstor is fast: each of these is its own run over the same files.
#
# Environment: KSTOR (default: kstor on PATH), INPUT_PATHS (whitespace-separated; default .),
# INPUT_FAIL_ON, INPUT_CONFIG, INPUT_FORMAT, INPUT_SARIF_FILE, GITHUB_OUTPUT,
# GITHUB_STEP_SUMMARY, RUNNER_TEMP.
# Outputs: sarif-file, exit-code (lint's: 0 clean, 1 findings at fail-on, 2 usage or I/O error).
# Exits with exit-code.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

kstor="${KSTOR:-kstor}"
read -r -a paths <<< "$(printf '%s' "${INPUT_PATHS:-.}" | tr '\n\r\t' '   ')"
[ "${#paths[@]}" -gt 0 ] || paths=(.)
config=()
[ -n "${INPUT_CONFIG:-}" ] && config=(--config "$INPUT_CONFIG")
fail_on=()
[ -n "${INPUT_FAIL_ON:-}" ] && fail_on=(--fail-on "$INPUT_FAIL_ON")
format="${INPUT_FORMAT:-github}"
work="$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/kstor-lint.XXXXXX")"
sarif="${INPUT_SARIF_FILE:-${RUNNER_TEMP:-$work}/kstor.sarif}"

# 1. SARIF: every finding, whatever fail-on says.
if "$kstor" lint ${config[@]+"${config[@]}"} --format sarif --output "$sarif" --fail-on never -- "${paths[@]}"; then
  set_output sarif-file "$sarif"
elif [ -s "$sarif" ]; then
  # An unreadable input (exit 2) still leaves a report of everything else.
  set_output sarif-file "$sarif"
fi

# 2. The findings in the log; this run's exit code is the step's.
"$kstor" lint ${config[@]+"${config[@]}"} --format "$format" ${fail_on[@]+"${fail_on[@]}"} -- "${paths[@]}"
code=$?

# 3. The job summary.
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  # Empty until kstor replaces them, so a kstor that fails early still leaves a summary.
  : > "$work/findings.txt"
  : > "$work/report.md"
  "$kstor" lint ${config[@]+"${config[@]}"} --format text --color never --fail-on never --output "$work/findings.txt" \
    -- "${paths[@]}" 2> "$work/errors.txt"
  "$kstor" report ${config[@]+"${config[@]}"} --format markdown --output "$work/report.md" -- "${paths[@]}" 2>> "$work/errors.txt"
  counts="$(grep '^kstor: .* in .* files' "$work/findings.txt" | tail -n 1)"
  counts="${counts#kstor: }"
  case "$code" in
    0) verdict="passed" ;;
    1) verdict="failed: findings at ${INPUT_FAIL_ON:-the configured fail-on (default warning)} or above" ;;
    *) verdict="failed: kstor exited with $code (a usage or input error: see the log)" ;;
  esac
  # GitHub takes at most 1 MiB of summary per step: long sections are cut with a note.
  max_lines=300
  lines="$(wc -l < "$work/findings.txt" | tr -d ' ')"
  {
    echo "## kstor lint"
    echo
    echo "**${counts:-no result}**; ${verdict}."
    echo
    if [ -s "$work/errors.txt" ]; then
      echo '```text'
      head -n 20 "$work/errors.txt"
      echo '```'
      echo
    fi
    if [ "$lines" -gt 1 ]; then
      echo "<details><summary>Findings</summary>"
      echo
      echo '````text'
      head -n "$max_lines" "$work/findings.txt"
      [ "$lines" -gt "$max_lines" ] && echo "… $((lines - max_lines)) more lines: see the log of this step"
      echo '````'
      echo
      echo "</details>"
      echo
    fi
    echo "### Storage patterns"
    echo
    awk -v max=600000 '{ size += length($0) + 1; if (size > max) { print ""; print "… cut: the full report is `kstor report --format markdown`"; exit } print }' \
      "$work/report.md"
  } >> "$GITHUB_STEP_SUMMARY"
fi

rm -rf "$work"
set_output exit-code "$code"
exit "$code"
