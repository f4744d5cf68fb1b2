#!/usr/bin/env bash
# Instructions per proxied request, counted by valgrind's callgrind: a
# repeatable measure of the portal's own work per request (the same binary
# and inputs give the same count whatever else the machine does), for
# comparing two builds where timings at concurrency 1 are within noise.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
#     PORTAL_BIN=… BEFORE_BIN=… bench/proxy-instructions.sh
#
# Each binary serves on its own scratch database in front of the harness's
# fake upstream (BENCH_HARNESS, as bench/proxy.sh); WARMUP requests (200)
# run uncounted, then REQUESTS (1000) non-streamed chat completions at
# concurrency 1 are counted, with every thread of the process (the metering
# writers included). Needs valgrind and oha (OHA, default
# /tmp/bench-env/bin/oha). Prints instructions per request for each binary.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HARNESS=${BENCH_HARNESS:-$ROOT/../shared/bench/proxy}
PORT=${PORT:-18150}
BASE=${DATABASE_URL:?set DATABASE_URL to a PostgreSQL server (a scratch database is created)}
SERVER=${BASE%/*}
OHA=${OHA:-/tmp/bench-env/bin/oha}
WARMUP=${WARMUP:-200}
REQUESTS=${REQUESTS:-1000}
: "${PORTAL_BIN:?set PORTAL_BIN to the portal binary to count}"
STATE=$(mktemp -d)
DBS=()


source "$ROOT/bench/lib/portal.sh"
trap cleanup EXIT
"$HARNESS/start-upstream.sh" >/dev/null
cat >"$STATE/body.json" <<'JSON'
{"model": "bench-model", "messages": [{"role": "system", "content": "You are a helpful assistant."}, {"role": "user", "content": "Write one short friendly sentence. This request is part of a gateway latency benchmark."}], "max_tokens": 64, "temperature": 0}
JSON

# count NAME BIN: instructions per request of BIN.
count() {
  local name="$1" bin="$2" port pid out
  port=$((PORT + ${#DBS[@]}))
  out="$STATE/$name.callgrind"
  LAUNCH="valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=$out" \
    HEALTH_TRIES=600 start_portal "$name" "$bin" "$port"
  pid=$(cat "$STATE/$name.pid")
  local load=("$OHA" --no-tui -c 1 -m POST -T application/json -H "Authorization: Bearer $KEY"
              -D "$STATE/body.json" "http://127.0.0.1:$port/v1/chat/completions")
  "${load[@]}" -n "$WARMUP" >/dev/null
  callgrind_control -i on "$pid" >/dev/null
  "${load[@]}" -n "$REQUESTS" >"$STATE/$name.oha"
  callgrind_control -i off "$pid" >/dev/null
  grep -q "Success rate: 100" "$STATE/$name.oha" || { cat "$STATE/$name.oha" >&2; return 1; }
  kill -INT "$pid"
  wait "$pid" 2>/dev/null || true
  rm -f "$STATE/$name.pid"
  local total
  total=$(cat "$out"* | sed -n 's/^summary: //p' | awk '{ s += $1 } END { print s }')
  printf '%s\t%s\t%d instructions per request\n' "$name" "$bin" $((total / REQUESTS))
}

count now "$PORTAL_BIN"
[ -z "${BEFORE_BIN:-}" ] || count before "$BEFORE_BIN"
