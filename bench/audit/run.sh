#!/usr/bin/env bash
# Audit benchmark (docs/performance.md): `kstor audit --from` on generated `kubectl get -A -o json`
# dumps of an EKS-like cluster — the issue's target size (20,000 PVs, 20,000 PVCs, 5,000 nodes,
# 30,000 pods) and a half and a quarter of it — next to what merely parsing the same dump costs
# with jq and with Python's json module, in the same run.
#
# Needs: hyperfine, GNU time and jq (apt-get install -y hyperfine time jq).
set -euo pipefail
cd "$(dirname "$0")/../.."

DATA=target/bench-data
RUNS=${RUNS:-10}
NOW=2026-11-26T12:00:00Z
mkdir -p "$DATA"

cargo build --release -q -p kstor --bin kstor --example gen_cluster_dump
KSTOR=target/release/kstor
# nodes namespaces: every namespace has 10 claims (and as many volumes) and 15 pods.
SIZES=("1250 500" "2500 1000" "5000 2000")
for size in "${SIZES[@]}"; do
  set -- $size
  [ -f "$DATA/dump-$2.json" ] || target/release/examples/gen_cluster_dump "$1" "$2" "$DATA/dump-$2.json"
done

mean() { python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results'][0]; print(f\"{r['mean']:.2f} ± {r['stddev']:.2f} s\")" "$1"; }
peak_mib() { /usr/bin/time -o "$DATA/time.txt" -f %M "$@" >/dev/null 2>&1 || true; echo $(( $(tail -1 "$DATA/time.txt") / 1024 )); }

echo "machine: $(nproc) CPUs, $(uname -r), $(date -u +%Y-%m-%d)"
echo "kstor $($KSTOR --version | cut -d' ' -f2), $(jq --version), Python $(python3 -c 'import sys; print(sys.version.split()[0])')"
echo
echo "| dump | size | PVs / PVCs / nodes / pods | command | wall time (mean ± σ) | peak RSS |"
echo "|---|---|---|---|---|---|"
for size in "${SIZES[@]}"; do
  set -- $size
  dump=$DATA/dump-$2.json
  mb=$(( $(stat -c %s "$dump") / 1000000 ))
  counts=$(python3 -c "
import json,sys,collections
c=collections.Counter(i['kind'] for i in json.load(open(sys.argv[1]))['items'])
print(f\"{c['PersistentVolume']:,} / {c['PersistentVolumeClaim']:,} / {c['Node']:,} / {c['Pod']:,}\")" "$dump")
  audit="$KSTOR audit --no-config --from $dump --now $NOW --format json -o /dev/null --fail-on never"
  hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$DATA/audit-$2.json" "$audit" >/dev/null
  echo "| dump-$2.json | $mb MB | $counts | **kstor audit --from** | **$(mean "$DATA/audit-$2.json")** | **$(peak_mib $audit) MiB** |"
  hyperfine -N --warmup 1 --runs 3 --export-json "$DATA/jq-$2.json" "jq -c '.items | length' $dump" >/dev/null
  echo "| dump-$2.json | $mb MB | $counts | jq '.items \| length' (parse only) | $(mean "$DATA/jq-$2.json") | $(peak_mib jq -c '.items | length' "$dump") MiB |"
  hyperfine -N --warmup 1 --runs 3 --export-json "$DATA/py-$2.json" "python3 -c 'import json,sys; json.load(open(sys.argv[1]))' $dump" >/dev/null
  echo "| dump-$2.json | $mb MB | $counts | python3 json.load (parse only) | $(mean "$DATA/py-$2.json") | $(peak_mib python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$dump") MiB |"
done
echo
echo "phases of the largest dump (kstor audit --timings):"
$KSTOR audit --no-config --from "$DATA/dump-2000.json" --now $NOW --format json -o /dev/null --fail-on never --timings
