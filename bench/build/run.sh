#!/usr/bin/env bash
# Build cost of kstor: clean release builds (full and the minimal linter) and the clean test
# build, each in its own empty target directory, with wall and CPU time and binary size.
#
#   bench/build/run.sh [REV]      # REV: a git revision to measure instead of the working tree
#
# Prints one Markdown table row per build. CPU time (user + sys) is the figure to compare
# across runs on a busy machine; wall time depends on what else runs.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
rev=${1:-}
work=$(mktemp -d)
trap 'rm -rf "$work"; [ -n "$rev" ] && git -C "$root" worktree remove --force "$work/src" 2>/dev/null || true' EXIT
if [ -n "$rev" ]; then
  git -C "$root" worktree add --detach "$work/src" "$rev" >/dev/null 2>&1
  src="$work/src"
else
  src="$root"
fi
label=${rev:-$(git -C "$root" rev-parse --short HEAD)}

measure() { # name, then the cargo arguments
  local name=$1; shift
  local target="$work/target-$name"
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -f '%U %S' -o "$work/time" env CARGO_TARGET_DIR="$target" CARGO_INCREMENTAL=0 \
    cargo "$@" --manifest-path "$src/Cargo.toml" >/dev/null 2>"$work/log" || { cat "$work/log" >&2; exit 1; }
  end=$(date +%s.%N)
  local wall cpu size=""
  wall=$(echo "$end - $start" | bc)
  cpu=$(awk '{print $1 + $2}' "$work/time")
  if [ -f "$target/release/kstor" ]; then
    size=$(( $(stat -c %s "$target/release/kstor") / 1024 / 1024 ))
  fi
  printf '| %s | %s | `cargo %s` | %.0f s | %.0f s | %s |\n' "$label" "$name" "$*" "$wall" "$cpu" "${size:+$size MiB}"
  rm -rf "$target"
}

echo "| revision | build | command | wall | CPU (user+sys) | binary |"
echo "|---|---|---|---|---|---|"
measure release build --release --locked --bin kstor
if grep -q '^lint = \[\]' "$src/Cargo.toml"; then
  measure release-lint build --release --locked --no-default-features --features lint --bin kstor
fi
measure test test --workspace --locked --no-run
