#!/usr/bin/env bash
# kstor serve under load: wrk over TLS on loopback against the real binary, whose cache is filled
# by watchers from a fake API server holding 10,000 PVCs and 100 StorageClasses
# (examples/fake_apiserver.rs). Needs wrk (apt-get install wrk) and curl.
#
#   bench/serve/run.sh [SECONDS] [CLAIMS] [CLASSES]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_RUN=${1:-30}
CLAIMS=${2:-10000}
CLASSES=${3:-100}
WORK=$(mktemp -d)
PORT=18443
METRICS=19090
cleanup() { kill "${SERVE_PID:-}" "${API_PID:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

cargo build --release --locked -p kstor --bin kstor --example fake_apiserver
target/release/examples/fake_apiserver "$WORK" "$CLAIMS" "$CLASSES" > "$WORK/api.log" 2>&1 &
API_PID=$!
for _ in $(seq 100); do [ -f "$WORK/requests.lua" ] && break; sleep 0.1; done
target/release/kstor serve --tls-cert "$WORK/tls.crt" --tls-key "$WORK/tls.key" --kubeconfig "$WORK/kubeconfig" \
  --listen "127.0.0.1:$PORT" --metrics-listen "127.0.0.1:$METRICS" > "$WORK/serve.log" 2>&1 &
SERVE_PID=$!
started=$(date +%s.%N)
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$METRICS/readyz")" = 200 ]; do sleep 0.05; done
echo "cache synced in $(echo "$(date +%s.%N) - $started" | bc) s:"
curl -s "http://127.0.0.1:$METRICS/metrics" | grep '^kstor_cache_objects'
echo "decisions on the three benchmark requests:"
for i in 0 1 2; do
  curl -sk -X POST -H 'Content-Type: application/json' --data-binary @"$WORK/request-$i.json" \
    "https://127.0.0.1:$PORT/validate" | grep -o '"uid":"[^"]*","allowed":[a-z]*'
done
wrk -t2 -c8 -d5s -s "$WORK/requests.lua" "https://127.0.0.1:$PORT/validate" > /dev/null   # warm-up
# Paced: 16 connections, each waiting 7 ms between requests (wrk's delay() hook): an open-ish
# load of about 2,100 admissions/s, the rate the target names, to read p99 without queueing.
{ cat "$WORK/requests.lua"; echo 'function delay() return 7 end'; } > "$WORK/paced.lua"
echo "== paced: wrk -t2 -c16 -d${SECONDS_PER_RUN}s, 7 ms between requests per connection (TLS, keep-alive)"
wrk -t2 -c16 -d"${SECONDS_PER_RUN}s" --latency -s "$WORK/paced.lua" "https://127.0.0.1:$PORT/validate"
for connections in 4 32; do
  echo "== wrk -t2 -c$connections -d${SECONDS_PER_RUN}s (TLS, keep-alive)"
  wrk -t2 -c"$connections" -d"${SECONDS_PER_RUN}s" --latency -s "$WORK/requests.lua" "https://127.0.0.1:$PORT/validate"
done
echo "== kstor serve memory"
grep -E 'VmHWM|VmRSS' "/proc/$SERVE_PID/status"
echo "== requests counted by kstor"
curl -s "http://127.0.0.1:$METRICS/metrics" | grep -E '^kstor_admission_requests_total|^kstor_admission_rejected' || true
