#!/usr/bin/env bash
# Proxy benchmark: Lab Portal's /v1 beside a bare nginx proxy and LiteLLM,
# all in front of the same instant fake upstream, with metering on (every
# request reserves, settles durably and writes its usage record).
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bench/proxy.sh
#
# Needs the proxy benchmark harness (BENCH_HARNESS, default
# ../shared/bench/proxy next to this repository; its setup.sh installs nginx,
# oha and LiteLLM). Knobs: ROUNDS (2), DURATION (15), CONC ("1 32 64"),
# STREAM ("no yes"), WITH_LITELLM (1), PORT (18100), PORTAL_BIN (a portal
# binary to measure instead of building this checkout's), BEFORE_BIN (a
# second portal binary, e.g. an earlier commit's, measured as "before" in
# the same interleaved rounds, on its own database and port PORT+1). Results
# go to the harness's results folder; the summary is printed at the end.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HARNESS=${BENCH_HARNESS:-$ROOT/../shared/bench/proxy}
PORT=${PORT:-18100}
BASE=${DATABASE_URL:?set DATABASE_URL to a PostgreSQL server (a scratch database is created)}
SERVER=${BASE%/*}
STATE=$(mktemp -d)
DBS=()


PORTAL_BIN=${PORTAL_BIN:-}
if [ -z "$PORTAL_BIN" ]; then
  cargo build --release -p lab-portal --bin lab-portal
  PORTAL_BIN="$ROOT/target/release/lab-portal"
fi

source "$ROOT/bench/lib/portal.sh"
trap cleanup EXIT

start_portal portal "$PORTAL_BIN" "$PORT"
"$HARNESS/start-upstream.sh"
targets=("nginx=http://127.0.0.1:18090,sk-none,bench-model,${BENCH_ENV:-/tmp/bench-env}/nginx/nginx.pid"
         "portal=http://127.0.0.1:$PORT,$KEY,bench-model,$STATE/portal.pid")
if [ -n "${BEFORE_BIN:-}" ]; then
  start_portal before "$BEFORE_BIN" "$((PORT + 1))"
  targets+=("before=http://127.0.0.1:$((PORT + 1)),$KEY,bench-model,$STATE/before.pid")
fi
if [ "${WITH_LITELLM:-1}" = 1 ]; then
  # LiteLLM reads DATABASE_URL too, and would try to set up its own schema.
  env -u DATABASE_URL "$HARNESS/start-litellm.sh"
  targets+=("litellm=http://127.0.0.1:4000,sk-bench,bench-model,${BENCH_ENV:-/tmp/bench-env}/litellm/litellm.pid")
fi
ROUNDS=${ROUNDS:-2} "$HARNESS/compare.sh" "direct=http://127.0.0.1:18080,sk-none,bench-model" "${targets[@]}"

# Metering really happened: every request left a usage record, and the
# ledger still verifies.
for db in "${DBS[@]}"; do
  psql "$SERVER/$db" -Atc "select '$db usage records: ' || count(*) || ', charged micro-credits: ' || coalesce(sum(credits), 0) from usage_records"
done
DATABASE_URL="$SERVER/${DBS[0]}" "$PORTAL_BIN" ledger verify
