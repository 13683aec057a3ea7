#!/usr/bin/env bash
# Language server latency (docs/performance.md, "Language server"): diagnostics after a change on
# a generated 2,000-line multi-document file, from writing `didChange` to reading the
# `publishDiagnostics` of that version, with the default debounce (20 ms) and without one.
#
# EDITS=200 by default. kstor is built with only the `lsp` feature (the measurement does not
# depend on the other commands, and the build is much shorter); the driver is kstor-lsp's
# `latency` example.
set -euo pipefail
cd "$(dirname "$0")/../.."

EDITS=${EDITS:-200}
TARGET=${CARGO_TARGET_DIR:-target}
cargo build --release -q --no-default-features --features lsp --bin kstor
cargo build --release -q -p kstor-lsp --example latency
KSTOR=$TARGET/release/kstor

echo "machine: $(nproc) CPUs, $(uname -r), $(date -u +%Y-%m-%d); kstor $($KSTOR --version | cut -d' ' -f2)"
for debounce in 20 0; do
  echo
  echo "debounce ${debounce} ms:"
  "$TARGET/release/examples/latency" --kstor "$KSTOR" --edits "$EDITS" --debounce-ms "$debounce"
done
