#!/usr/bin/env bash
# The work one metered /v1 request costs the portal, counted rather than
# timed, so that two binaries compare on a busy machine too: instructions
# (valgrind's callgrind, the difference between N1 and N2 requests, which
# cancels start-up), system calls (strace -c over N2 - N1 requests) and
# database transactions (pg_stat_database), all at concurrency 1 without
# streaming, against the proxy harness's instant fake upstream.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
#     bench/proxy-work.sh target/release/lab-portal [an-earlier/lab-portal ...]
#
# Needs valgrind, strace, psql and the harness (BENCH_HARNESS, default
# ../shared/bench/proxy; its setup.sh installs nginx and oha). Knobs: N1
# (100), N2 (1100), PORT (18300).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HARNESS=${BENCH_HARNESS:-$ROOT/../shared/bench/proxy}
OHA=${OHA:-/tmp/bench-env/bin/oha}
BASE=${DATABASE_URL:?set DATABASE_URL to a PostgreSQL server (scratch databases are created)}
SERVER=${BASE%/*}
N1=${N1:-100}
N2=${N2:-1100}
PORT=${PORT:-18300}
[ "$#" -ge 1 ] || { echo "usage: $0 PORTAL_BIN [PORTAL_BIN ...]" >&2; exit 2; }
STATE=$(mktemp -d)
DBS=()
source "$ROOT/bench/lib/portal.sh"
trap cleanup EXIT
"$HARNESS/start-upstream.sh" >/dev/null
BODY='{"model":"bench-model","messages":[{"role":"user","content":"Say hello to the lab."}],"max_tokens":16}'

requests() {
  "$OHA" --no-tui -n "$1" -c 1 -m POST -H "Authorization: Bearer $KEY" \
    -H "content-type: application/json" -d "$BODY" "http://127.0.0.1:$PORT/v1/chat/completions" >/dev/null
}

# A fresh portal (scratch database and folder) for one measurement, run
# under the command $1 if given.
fresh() {
  LAUNCH=${1:-} HEALTH_TRIES=600 start_portal m "$BIN" "$PORT" >/dev/null
}

# Stops the portal gracefully (valgrind writes its counts at exit).
stop() {
  local pid
  pid=$(cat "$STATE/m.pid")
  kill -INT "$pid"
  for _ in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  rm -f "$STATE/m.pid"
}

# Instructions of the portal process after $1 requests.
instructions() {
  STATE=$(mktemp -d)
  DBS=()
  fresh "valgrind --tool=callgrind --callgrind-out-file=$STATE/callgrind.out"
  requests "$1"
  stop
  grep -E '^(summary|totals):' "$STATE/callgrind.out" | head -1 | awk '{print $2}'
  cleanup
}

for BIN in "$@"; do
  i1=$(instructions "$N1")
  i2=$(instructions "$N2")
  STATE=$(mktemp -d)
  DBS=()
  fresh
  requests "$N1"
  pid=$(cat "$STATE/m.pid")
  stats() { psql "$SERVER/${DBS[0]}" -Atc "select xact_commit from pg_stat_database where datname = current_database()"; }
  sleep 3
  c1=$(stats)
  strace -f -c -p "$pid" -o "$STATE/strace.txt" 2>/dev/null &
  tracer=$!
  sleep 1
  requests $((N2 - N1))
  kill -INT "$tracer"
  wait "$tracer" 2>/dev/null || true
  sleep 3
  c2=$(stats)
  calls=$(awk '$NF == "total" {print $(NF-2)}' "$STATE/strace.txt")
  futex=$(awk '$NF == "futex" {print $4}' "$STATE/strace.txt")
  cleanup
  n=$((N2 - N1))
  printf '%s\n  instructions per request: %d\n  system calls per request: %.2f (futex %.2f)\n  database transactions per request: %.2f (a few of them the portal'\''s own timers)\n' \
    "$BIN" $(((i2 - i1) / n)) "$(echo "$calls / $n" | bc -l)" "$(echo "${futex:-0} / $n" | bc -l)" \
    "$(echo "($c2 - $c1) / $n" | bc -l)"
done
