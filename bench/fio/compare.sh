#!/usr/bin/env bash
# Runs kstor bench and fio on the same directory for the wal, fsync-small and
# randread-4k profiles and prints their p50 and p99 side by side (Markdown table).
#
# usage: bench/fio/compare.sh DIR [SECONDS=10] [SIZE_MIB=256]
#
#   DIR       directory on the storage to measure (kstor and fio both write there)
#   SECONDS   measuring time of each profile, for kstor and for fio
#   SIZE_MIB  test file size in MiB, for kstor and for fio
#
# environment:
#   ROUNDS=N            run kstor and fio alternately N times per profile (default 3)
#                       and report the median of each figure
#   KSTOR_BENCH_BIN=P   use this kstor-bench example binary instead of building it with
#                       `cargo build --release -p kstor-bench --example bench`
#   RAW_DIR=D           keep the raw JSON reports in D (default: a temporary directory)
set -euo pipefail

dir=${1:?usage: compare.sh DIR [SECONDS] [SIZE_MIB]}
secs=${2:-10}
size_mib=${3:-256}
rounds=${ROUNDS:-3}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

command -v fio >/dev/null || { echo "compare.sh: fio not found (apt-get install fio)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "compare.sh: python3 not found" >&2; exit 2; }
[ -d "$dir" ] || { echo "compare.sh: $dir is not a directory" >&2; exit 2; }

if [ -z "${KSTOR_BENCH_BIN:-}" ]; then
    (cd "$repo" && cargo build --release --quiet -p kstor-bench --example bench)
    target=$(cd "$repo" && cargo metadata --format-version 1 --no-deps |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
    KSTOR_BENCH_BIN=$target/release/examples/bench
fi
raw=${RAW_DIR:-$(mktemp -d)}
mkdir -p "$raw"

echo "machine: $(nproc) CPUs, kernel $(uname -r), $(fio --version)"
echo "path:    $dir ($(df -PT "$dir" | awk 'NR == 2 { print $2 " on " $1 }'))"
echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "run:     ${secs}s per profile and tool, ${size_mib} MiB file, $rounds rounds, raw JSON in $raw"
echo

# Lets writeback and the discards of the previous run's deleted files settle.
settle() { sync && sleep 2; }
# Records what else the machine is doing: dirty page cache (kB) and 1-min load average.
snap() { echo "$(awk '/^Dirty:/ { print $2 }' /proc/meminfo) $(cut -d' ' -f1 /proc/loadavg)" >"$1"; }

for round in $(seq 1 "$rounds"); do
    for p in wal fsync-small randread-4k; do
        settle
        snap "$raw/kstor-$p-$round.env"
        "$KSTOR_BENCH_BIN" "$dir" --profile "$p" --duration "${secs}s" --size "${size_mib}MiB" \
            --format json --no-progress >"$raw/kstor-$p-$round.json"
        settle
        snap "$raw/fio-$p-$round.env"
        KSTOR_SIZE="${size_mib}m" KSTOR_RUNTIME="${secs}s" \
            fio --output-format=json --directory="$dir" "$here/$p.fio" >"$raw/fio-$p-$round.json"
        rm -f "$dir/$p.0.0"
    done
done

python3 - "$raw" "$rounds" <<'PY'
import json, statistics, sys

raw, rounds = sys.argv[1], int(sys.argv[2])

def load(tool, profile, r):
    with open(f"{raw}/{tool}-{profile}-{r}.json") as f:
        return json.load(f)

def kstor(profile, field):
    def get(r):
        p = load("kstor", profile, r)["profiles"][0][field]
        return p["p50"], p["p99"]
    return get

def fio(profile, *paths):
    # Sum of the percentiles of the given fio latency sections (approximate for a sum).
    def get(r):
        job = load("fio", profile, r)["jobs"][0]
        p50 = p99 = 0
        for section, kind in paths:
            pct = job[section][kind]["percentile"]
            p50 += pct["50.000000"]
            p99 += pct["99.000000"]
        return p50, p99
    return get

rows = [
    ("wal", "fdatasync alone: kstor `sync_latency_ns`, fio `sync.lat_ns`",
     kstor("wal", "sync_latency_ns"), fio("wal", ("sync", "lat_ns")), True),
    ("wal", "write + fdatasync: kstor `latency_ns`, fio write `clat_ns` + `sync.lat_ns` (≈)",
     kstor("wal", "latency_ns"), fio("wal", ("write", "clat_ns"), ("sync", "lat_ns")), False),
    ("fsync-small", "fdatasync alone: kstor `sync_latency_ns`, fio `sync.lat_ns`",
     kstor("fsync-small", "sync_latency_ns"), fio("fsync-small", ("sync", "lat_ns")), True),
    ("fsync-small", "write + fdatasync: kstor `latency_ns`, fio write `clat_ns` + `sync.lat_ns` (≈)",
     kstor("fsync-small", "latency_ns"), fio("fsync-small", ("write", "clat_ns"), ("sync", "lat_ns")), False),
    ("randread-4k", "pread: kstor `latency_ns`, fio read `clat_ns`",
     kstor("randread-4k", "latency_ns"), fio("randread-4k", ("read", "clat_ns")), True),
]

def fmt(ns):
    if ns < 1_000:
        return f"{ns:.0f} ns"
    if ns < 1_000_000:
        return f"{ns / 1e3:.3g} µs"
    return f"{ns / 1e6:.3g} ms"

def delta(k, f):
    d = (k - f) / f * 100
    return f"{d:+.0f} %"

print("| profile | compared | kstor p50 | fio p50 | Δ p50 | kstor p99 | fio p99 | Δ p99 |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
worst = 0.0
for profile, what, k, f, gate in rows:
    ks = [k(r) for r in range(1, rounds + 1)]
    fs = [f(r) for r in range(1, rounds + 1)]
    k50, k99 = (statistics.median(x[i] for x in ks) for i in (0, 1))
    f50, f99 = (statistics.median(x[i] for x in fs) for i in (0, 1))
    if gate:
        worst = max(worst, abs(k50 - f50) / f50, abs(k99 - f99) / f99)
    print(f"| {profile} | {what} | {fmt(k50)} | {fmt(f50)} | {delta(k50, f50)} "
          f"| {fmt(k99)} | {fmt(f99)} | {delta(k99, f99)} |")
print()
print(f"largest difference on the like-for-like rows: {worst * 100:.0f} % "
      f"({'within' if worst <= 0.25 else 'OUTSIDE'} the 25 % target); medians of {rounds} rounds")

# Per round, the like-for-like figures and what else the machine was doing when each run
# started: a round where one tool met other writers' load and the other did not shows up
# here, not in the medians.
def env(tool, profile, r):
    try:
        with open(f"{raw}/{tool}-{profile}-{r}.env") as f:
            dirty, load = f.read().split()
        return f"dirty {int(dirty) // 1024} MiB, load {load}"
    except (OSError, ValueError):
        return "?"

print()
print("| profile | round | kstor p50 / p99 | at kstor's start | fio p50 / p99 | at fio's start |")
print("|---|---:|---:|---|---:|---|")
for profile, what, k, f, gate in rows:
    if not gate:
        continue
    for r in range(1, rounds + 1):
        (k50, k99), (f50, f99) = k(r), f(r)
        print(f"| {profile} | {r} | {fmt(k50)} / {fmt(k99)} | {env('kstor', profile, r)} "
              f"| {fmt(f50)} / {fmt(f99)} | {env('fio', profile, r)} |")
PY
