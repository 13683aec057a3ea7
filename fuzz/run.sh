#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each for SECONDS (default 30): a short, bounded fuzz
# run for CI. See docs/fuzzing.md.
#
# Stable Rust: no cargo-fuzz and no nightly. libfuzzer-sys compiles libFuzzer itself, and the
# coverage instrumentation cargo-fuzz adds is given as stable codegen flags. `--target` keeps
# those flags off build scripts and proc macros.
#
# Seeds are copied at run time from ../shared/corpus (beside the checkout; never committed) and
# from the recorded API lists in crates/kstor-live/tests/data. Findings land in
# $FUZZ_DIR/artifacts/<target>/ and make the script fail.
#
# Environment: FUZZ_TARGET_DIR (build directory, default target/fuzz in the checkout),
# FUZZ_DIR (corpora and artifacts, default target/fuzz-run), FUZZ_TARGETS (which targets).
set -euo pipefail

seconds="${1:-30}"
fuzz="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$fuzz")"
target_dir="${FUZZ_TARGET_DIR:-$repo/target/fuzz}"
work="${FUZZ_DIR:-$repo/target/fuzz-run}"
targets="${FUZZ_TARGETS:-yaml_tree json_tree typed_decode}"
triple="$(rustc -vV | sed -n 's/^host: //p')"

# What `cargo fuzz build --sanitizer none` passes (plus --cfg fuzzing), all stable options.
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks"

start=$(date +%s)
# shellcheck disable=SC2086
cargo build --manifest-path "$fuzz/Cargo.toml" --profile fuzz --locked --target "$triple" \
  --target-dir "$target_dir" $(printf -- '--bin %s ' $targets)
built=$(date +%s)
echo "fuzz: built in $((built - start)) s"

# Seed corpora, rebuilt on every run (libFuzzer adds what it finds to corpus/<target>): the
# manifests of ../shared/corpus, and every recorded API list with each of its items alone.
rm -rf "$work/seeds"
mkdir -p "$work/seeds/yaml" "$work/seeds/json" "$work/artifacts"
[ -d "$repo/../shared/corpus" ] || echo "fuzz: ../shared/corpus is missing; YAML seeds are empty" >&2
python3 - "$repo" "$work/seeds" <<'PY'
import hashlib, json, pathlib, sys
repo, seeds = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
def seed(kind, data):
    if len(data) <= 65536:
        (seeds / kind / hashlib.sha1(data).hexdigest()).write_bytes(data)
for path in (repo.parent / "shared" / "corpus").rglob("*"):
    if path.suffix in (".yaml", ".yml"):
        seed("yaml", path.read_bytes())
for path in (repo / "crates" / "kstor-live" / "tests" / "data").glob("*.json"):
    data = path.read_bytes()
    seed("json", data)
    for item in json.loads(data).get("items", []):
        seed("json", json.dumps(item, indent=1).encode())
PY

failed=0
for t in $targets; do
  case "$t" in json_tree) seeds="$work/seeds/json" ;; *) seeds="$work/seeds/yaml" ;; esac
  mkdir -p "$work/corpus/$t" "$work/artifacts/$t"
  log="$work/$t.log"
  echo "fuzz: $t for $seconds s"
  if ! "$target_dir/$triple/fuzz/$t" "$work/corpus/$t" "$seeds" \
      -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$work/artifacts/$t/" -print_final_stats=1 >"$log" 2>&1; then
    echo "fuzz: $t FAILED; last lines of $log:" >&2
    tail -n 40 "$log" >&2
    failed=1
  fi
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" | sed "s/^/fuzz: $t /" || true
done
echo "fuzz: ran in $(($(date +%s) - built)) s"
exit "$failed"
