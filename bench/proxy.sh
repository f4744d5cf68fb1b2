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

cleanup() {
  for pid in "$STATE"/*.pid; do [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null || true; done
  sleep 1
  for db in "${DBS[@]}"; do
    psql "$BASE" -qc "drop database if exists $db with (force)" >/dev/null 2>&1 || true
  done
  rm -rf "$STATE"
}
trap cleanup EXIT

PORTAL_BIN=${PORTAL_BIN:-}
if [ -z "$PORTAL_BIN" ]; then
  cargo build --release -p lab-portal --bin lab-portal
  PORTAL_BIN="$ROOT/target/release/lab-portal"
fi

# The key every portal accepts (each has its own database).
KEY="lp_benchkey0001_$(head -c 4096 /dev/urandom | tr -dc 'A-Za-z0-9' | head -c 32)"
HASH=$(printf '%s' "$KEY" | sha256sum | cut -d' ' -f1)

# start_portal NAME BIN PORT: a scratch database, the portal on it, and a
# developer with ample credit, the key, and the fake upstream as a provider.
start_portal() {
  local name="$1" bin="$2" port="$3" db="bench_proxy_$$_$1"
  DBS+=("$db")
  psql "$BASE" -qc "create database $db"
  DATABASE_URL="$SERVER/$db" LAB_PORTAL_LISTEN="127.0.0.1:$port" LAB_PORTAL_LOG=warn \
    "$bin" serve >"$STATE/$name.log" 2>&1 &
  echo $! >"$STATE/$name.pid"
  for _ in $(seq 1 120); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.5
  done
  psql "$SERVER/$db" -q -v ON_ERROR_STOP=1 -v hash="$HASH" <<'SQL'
insert into users (id, email, password_hash, display_name, account_kind, country, email_verified_at)
values ('00000000-0000-7000-8000-00000000b001', 'bench@lab.test', 'unused', 'Bench', 'developer', 'DE', now());
insert into credit_accounts (id, owner_kind) values (gen_random_uuid(), 'treasury') on conflict do nothing;
insert into credit_accounts (id, owner_kind, owner_id)
values ('00000000-0000-7000-8000-00000000b002', 'user', '00000000-0000-7000-8000-00000000b001');
insert into ledger_transactions (id, kind, memo) values ('00000000-0000-7000-8000-00000000b003', 'grant', 'benchmark credit');
insert into ledger_entries (transaction_id, account_id, bucket, amount)
select '00000000-0000-7000-8000-00000000b003'::uuid, id, 'available', -1000000000000000 from credit_accounts where owner_kind = 'treasury'
union all select '00000000-0000-7000-8000-00000000b003'::uuid, '00000000-0000-7000-8000-00000000b002'::uuid, 'available', 1000000000000000;
update credit_accounts set available = 1000000000000000 where id = '00000000-0000-7000-8000-00000000b002';
insert into credit_lots (id, account_id, transaction_id, original, remaining)
values ('00000000-0000-7000-8000-00000000b004', '00000000-0000-7000-8000-00000000b002',
        '00000000-0000-7000-8000-00000000b003', 1000000000000000, 1000000000000000);
insert into api_keys (id, user_id, account_id, name, public_id, secret_hash)
values ('00000000-0000-7000-8000-00000000b005', '00000000-0000-7000-8000-00000000b001',
        '00000000-0000-7000-8000-00000000b002', 'bench', 'benchkey0001', decode(:'hash', 'hex'));
insert into providers (id, name, base_url, timeout_ms) values
  ('00000000-0000-7000-8000-00000000b006', 'fake upstream', 'http://127.0.0.1:18080/v1', 30000),
  ('00000000-0000-7000-8000-00000000b007', 'fake upstream sse', 'http://127.0.0.1:18081/v1', 30000);
insert into models (id, public_id, provider_id, upstream_model, input_price, output_price, max_output_tokens) values
  ('00000000-0000-7000-8000-00000000b008', 'bench-model', '00000000-0000-7000-8000-00000000b006', 'bench-model', 1000000, 2000000, 256),
  ('00000000-0000-7000-8000-00000000b009', 'bench-model-sse', '00000000-0000-7000-8000-00000000b007', 'bench-model', 1000000, 2000000, 256);
SQL
  
}

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
