# Shared by the proxy benchmarks (sourced): a portal on a scratch database
# with a developer, ample credit, one API key ($KEY) and the harness's fake
# upstream as its provider. Expects BASE (a PostgreSQL URL), SERVER (BASE
# without its database), STATE (a scratch folder) and the array DBS (the
# databases made, for the caller's cleanup). LAUNCH, if set, is a command
# the portal runs under (e.g. valgrind); HEALTH_TRIES (120, half a second
# each) bounds the wait for it to answer. `cleanup` stops them all.

# Stops the portals (pid files in STATE) and drops their databases.
cleanup() {
  for pid in "$STATE"/*.pid; do [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null || true; done
  sleep 2
  for db in "${DBS[@]}"; do
    psql "$BASE" -qc "drop database if exists $db with (force)" >/dev/null 2>&1 || true
  done
  rm -rf "$STATE"
}

# The key every portal accepts (each has its own database).
KEY="lp_benchkey0001_$(head -c 4096 /dev/urandom | tr -dc 'A-Za-z0-9' | head -c 32)"
HASH=$(printf '%s' "$KEY" | sha256sum | cut -d' ' -f1)

# start_portal NAME BIN PORT: a scratch database, the portal on it, and a
# developer with ample credit, the key, and the fake upstream as a provider.
start_portal() {
  local name="$1" bin="$2" port="$3" db="bench_proxy_$$_$1"
  DBS+=("$db")
  psql "$BASE" -qc "create database $db"
  # shellcheck disable=SC2086 # LAUNCH is a command and its words
  DATABASE_URL="$SERVER/$db" LAB_PORTAL_LISTEN="127.0.0.1:$port" LAB_PORTAL_LOG=warn \
    ${LAUNCH:-} "$bin" serve >"$STATE/$name.log" 2>&1 &
  echo $! >"$STATE/$name.pid"
  for _ in $(seq 1 "${HEALTH_TRIES:-120}"); do
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

