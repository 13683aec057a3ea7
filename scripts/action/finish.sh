#!/usr/bin/env bash
# Last step of the kstor action, after the SARIF upload: fails the job with lint's exit code.
#
# Environment: EXIT_CODE (the lint step's exit-code output; empty when it did not finish).
set -euo pipefail
case "${EXIT_CODE:-}" in
  0) echo "kstor action: passed" ;;
  1) echo "::error::kstor found storage problems at or above fail-on (see the annotations and the job summary)"; exit 1 ;;
  '') echo "::error::kstor action: the lint step did not finish"; exit 2 ;;
  *) echo "::error::kstor action: kstor failed (exit $EXIT_CODE)"; exit "$EXIT_CODE" ;;
esac
