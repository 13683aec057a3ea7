#!/usr/bin/env bash
# Fix benchmark (docs/performance.md, "kstor lint --fix"): on a fresh copy of an input for
# every run, `kstor lint --fix --unsafe-fixes` (every fix applied, files rewritten) next to
# plain `kstor lint` and `kstor lint --diff --unsafe-fixes`, in the same hyperfine run; on the
# shared corpus and on a generated bundle of 12,500 objects.
#
# Needs: hyperfine (apt-get install -y hyperfine).
set -euo pipefail
cd "$(dirname "$0")/../.."

CORPUS=../shared/corpus
DATA=target/bench-data
RUNS=${RUNS:-20}
mkdir -p "$DATA"

cargo build --release -q -p kstor --bin kstor --example gen_bundle
TARGET=$(cd "${CARGO_TARGET_DIR:-target}" && pwd)
KSTOR=$TARGET/release/kstor
[ -d "$DATA/bundle-12500" ] || "$TARGET/release/examples/gen_bundle" 12500 "$DATA/bundle-12500"

echo "machine: $(nproc) CPUs, $(uname -r), $(date -u +%Y-%m-%d); kstor $($KSTOR --version | cut -d' ' -f2)"
for input in "$CORPUS" "$DATA/bundle-12500"; do
  name=$(basename "$input")
  copy=$DATA/fix-copy-$name
  fresh="rm -rf $copy && cp -r $input $copy"
  eval "$fresh"
  fixes=$($KSTOR lint --no-config --fix --unsafe-fixes "$copy" --format json --fail-on never -o /dev/null 2>&1 | grep -o '^[0-9]* fixed' || echo "0 fixed")
  echo
  echo "== $input ($fixes with --unsafe-fixes)"
  hyperfine -N -i --warmup 3 --runs "$RUNS" --prepare "sh -c '$fresh'" --export-markdown "$DATA/fix-$name.md" \
    -n "lint" "$KSTOR lint --no-config $copy --format json --fail-on never -o /dev/null" \
    -n "lint --diff --unsafe-fixes" "$KSTOR lint --no-config --diff --unsafe-fixes $copy --fail-on never" \
    -n "lint --fix --unsafe-fixes" "$KSTOR lint --no-config --fix --unsafe-fixes $copy --format json --fail-on never -o /dev/null" \
    >/dev/null
  cat "$DATA/fix-$name.md"
done
