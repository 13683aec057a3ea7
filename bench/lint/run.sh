#!/usr/bin/env bash
# Lint benchmark (docs/performance.md): kstor next to checkov on the shared corpus, kstor on
# generated bundles of 12,500 / 25,000 / 50,000 objects, and the input limits.
#
# Needs: hyperfine and GNU time (apt-get install -y hyperfine time), checkov in .venv
# (python3 -m venv .venv && .venv/bin/pip install checkov) or CHECKOV=/path/to/checkov.
set -euo pipefail
cd "$(dirname "$0")/../.."

CORPUS=../shared/corpus
DATA=target/bench-data
CHECKOV=${CHECKOV:-.venv/bin/checkov}
RUNS=${RUNS:-20}
mkdir -p "$DATA"

cargo build --release -q -p kstor --bin kstor --example gen_bundle
KSTOR=target/release/kstor
for n in 12500 25000 50000; do
  [ -d "$DATA/bundle-$n" ] || target/release/examples/gen_bundle "$n" "$DATA/bundle-$n"
done

bytes() { du -sb "$1" | cut -f1; }
mean_ms() { python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results'][0]; print(f\"{r['mean']*1000:.1f} ± {r['stddev']*1000:.1f}\")" "$1"; }
mean_s() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['results'][0]['mean'])" "$1"; }
peak_kb() { /usr/bin/time -o "$DATA/time.txt" -f %M "$@" >/dev/null 2>&1 || true; tail -1 "$DATA/time.txt"; }

echo "machine: $(nproc) CPUs, $(uname -r), $(date -u +%Y-%m-%d)"
echo "kstor $($KSTOR --version | cut -d' ' -f2), checkov $($CHECKOV --version 2>/dev/null || echo missing)"
echo
echo "| input | size | objects | tool | wall time | MB/s | peak RSS | RSS / input |"
echo "|---|---|---|---|---|---|---|---|"

run_kstor() {  # name dir
  local name=$1 dir=$2 size objects json rss
  size=$(bytes "$dir")
  objects=$($KSTOR lint --no-config "$dir" --format json --fail-on never | python3 -c "import json,sys; print(json.load(sys.stdin)['summary']['objects'])")
  json=$DATA/hyperfine-$name.json
  hyperfine -N -i --warmup 3 --runs "$RUNS" --export-json "$json" \
    "$KSTOR lint --no-config $dir --format json --fail-on never -o /dev/null" >/dev/null
  rss=$(peak_kb "$KSTOR" lint --no-config "$dir" --format json --fail-on never -o /dev/null)
  python3 - "$name" "$size" "$objects" "$(mean_ms "$json")" "$(mean_s "$json")" "$rss" <<'PY'
import sys
name, size, objects, ms, mean, rss = sys.argv[1:]
size, rss = int(size), int(rss) * 1024
print(f"| {name} | {size/1e6:.1f} MB | {objects} | kstor | {ms} ms | {size/1e6/float(mean):.0f} | {rss/2**20:.0f} MiB | {rss/size:.1f}x |")
PY
}

run_kstor corpus "$CORPUS"
if [ -x "$CHECKOV" ]; then
  json=$DATA/hyperfine-checkov.json
  hyperfine -N -i --runs 3 --export-json "$json" \
    "$CHECKOV -d $CORPUS --framework kubernetes --skip-download --quiet -o json" >/dev/null
  rss=$(peak_kb "$CHECKOV" -d "$CORPUS" --framework kubernetes --skip-download --quiet -o json)
  python3 - "$(bytes "$CORPUS")" "$(mean_s "$json")" "$rss" "$(mean_s "$DATA/hyperfine-corpus.json")" <<'PY'
import sys
size, mean, rss, kstor = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]) * 1024, float(sys.argv[4])
print(f"| corpus | {size/1e6:.1f} MB | 1358 | checkov | {mean:.2f} s | {size/1e6/mean:.2f} | {rss/2**20:.0f} MiB | {rss/size:.1f}x |")
print(f"\nkstor is {mean/kstor:.0f}x faster than checkov on the corpus.")
PY
fi
for n in 12500 25000 50000; do run_kstor "bundle-$n" "$DATA/bundle-$n"; done

echo
echo "phases (kstor lint --timings, 50,000 objects):"
$KSTOR lint --no-config "$DATA/bundle-50000" --format json --fail-on never -o /dev/null --timings 2>&1 | sed 's/^/  /'
$KSTOR lint --no-config "$CORPUS" --format json --fail-on never -o /dev/null --timings 2>&1 | sed 's/^/  corpus: /'

echo
echo "limits (each input alone; wall time and peak RSS):"
LIM=$DATA/limits
mkdir -p "$LIM"
python3 - "$LIM" <<'PY'
import sys, os
d = sys.argv[1]
bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"a{i}: &a{i} [{', '.join(['*a%d' % (i - 1)] * 10)}]\n" for i in range(1, 30))
open(os.path.join(d, "alias-bomb.yaml"), "w").write(bomb)
open(os.path.join(d, "deep-flow.yaml"), "w").write("[" * 1_000_000 + "]" * 1_000_000)
open(os.path.join(d, "deep-block.yaml"), "w").write("".join(" " * i + f"k{i}:\n" for i in range(5000)))
with open(os.path.join(d, "huge.yaml"), "wb") as f:  # sparse: 4 GiB, reads as zeros
    f.truncate(4 * 1024 ** 3)
PY
for f in alias-bomb.yaml deep-flow.yaml deep-block.yaml huge.yaml; do
  /usr/bin/time -o "$DATA/time.txt" -f "%e s, %M KiB" "$KSTOR" lint --no-config "$LIM/$f" --format json --fail-on never > "$DATA/limit.json"
  out=$(tail -1 "$DATA/time.txt")
  msg=$(python3 -c "import json; f=json.load(open('$DATA/limit.json'))['findings']; print(f[0]['message'] if f else 'no finding')")
  echo "  $f: $out: $msg"
done
