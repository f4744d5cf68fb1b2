#!/usr/bin/env bash
# Playground benchmark: the first streamed token of a playground reply
# against a direct /v1 stream of the same request (the added latency of
# the playground's work: the conversation read, the message recorded, the
# reservation), and many playground replies streaming at once at a
# realistic token pace.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bench/playground.sh
#
# Knobs: REQUESTS (300 sequential requests per path for the first-token
# comparison), STREAMS ("100 250 500" concurrent replies), PACE_MS (20 ms
# per generated token, about 50 tokens a second), PORT (18300),
# PORTAL_BIN (default: this checkout's release build). Two upstream
# simulators run beside the portal (`lab-portal simulate`): one instant for
# the first-token comparison, one paced for the concurrent streams.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE=${DATABASE_URL:?set DATABASE_URL to a PostgreSQL server (a scratch database is created)}
SERVER=${BASE%/*}
PORT=${PORT:-18300}
PACE_MS=${PACE_MS:-20}
PORTAL_BIN=${PORTAL_BIN:-}
if [ -z "$PORTAL_BIN" ]; then
  cargo build --release -p lab-portal --bin lab-portal
  PORTAL_BIN="$(source "$ROOT/scripts/lib/tools.sh" && cargo_target_dir)/release/lab-portal"
fi
DB="bench_playground_$$"
STATE=$(mktemp -d)
cleanup() {
  for pid in "$STATE"/*.pid; do [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null || true; done
  sleep 1
  psql "$BASE" -qc "drop database if exists $DB with (force)" >/dev/null 2>&1 || true
  rm -rf "$STATE"
}
trap cleanup EXIT

psql "$BASE" -qc "create database $DB"
export DATABASE_URL="$SERVER/$DB"
"$PORTAL_BIN" migrate >/dev/null
# The starter agents (their datasets and viewer tables first), before the
# portal starts, so nothing loads while it is measured.
(cd "$ROOT" && LAB_PORTAL_LOG=warn "$PORTAL_BIN" seed-datasets >/dev/null)
password="Quartz lantern orbit 5193"
LAB_PORTAL_ADMIN_PASSWORD="$password" "$PORTAL_BIN" create-admin --email bench@lab.test --name Bench >/dev/null

"$PORTAL_BIN" simulate --listen "127.0.0.1:$((PORT + 1))" >"$STATE/sim.log" 2>&1 &
echo $! >"$STATE/sim.pid"
"$PORTAL_BIN" simulate --listen "127.0.0.1:$((PORT + 2))" --token-latency-ms "$PACE_MS" >"$STATE/paced.log" 2>&1 &
echo $! >"$STATE/paced.pid"

KEY="lp_benchkey0001_$(head -c 4096 /dev/urandom | tr -dc 'A-Za-z0-9' | head -c 32)"
HASH=$(printf '%s' "$KEY" | sha256sum | cut -d' ' -f1)
psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 -v hash="$HASH" -v sim="http://127.0.0.1:$((PORT + 1))/v1" \
  -v paced="http://127.0.0.1:$((PORT + 2))/v1" <<'SQL'
-- Ample credit for the bench account, an API key, and the simulators as
-- providers: `simulator-chat` (the starter agents' model) instant,
-- `paced-chat` at the token pace.
insert into credit_accounts (id, owner_kind) values (gen_random_uuid(), 'treasury') on conflict do nothing;
insert into credit_accounts (id, owner_kind, owner_id)
select '00000000-0000-7000-8000-00000000b002', 'user', id from users where email = 'bench@lab.test'
on conflict do nothing;
insert into ledger_transactions (id, kind, memo) values ('00000000-0000-7000-8000-00000000b003', 'grant', 'benchmark credit');
insert into ledger_entries (transaction_id, account_id, bucket, amount)
select '00000000-0000-7000-8000-00000000b003'::uuid, id, 'available', -1000000000000000 from credit_accounts where owner_kind = 'treasury'
union all
select '00000000-0000-7000-8000-00000000b003'::uuid, a.id, 'available', 1000000000000000
from credit_accounts a join users u on u.id = a.owner_id where u.email = 'bench@lab.test';
update credit_accounts a set available = available + 1000000000000000
from users u where u.id = a.owner_id and u.email = 'bench@lab.test';
insert into credit_lots (id, account_id, transaction_id, original, remaining)
select '00000000-0000-7000-8000-00000000b004', a.id, '00000000-0000-7000-8000-00000000b003', 1000000000000000, 1000000000000000
from credit_accounts a join users u on u.id = a.owner_id where u.email = 'bench@lab.test';
insert into api_keys (id, user_id, account_id, name, public_id, secret_hash)
select '00000000-0000-7000-8000-00000000b005', u.id, a.id, 'bench', 'benchkey0001', decode(:'hash', 'hex')
from credit_accounts a join users u on u.id = a.owner_id where u.email = 'bench@lab.test';
insert into providers (id, name, base_url, timeout_ms) values
  ('00000000-0000-7000-8000-00000000b006', 'simulator', :'sim', 30000),
  ('00000000-0000-7000-8000-00000000b007', 'paced simulator', :'paced', 60000);
insert into models (id, public_id, provider_id, upstream_model, input_price, output_price, context_window, max_output_tokens) values
  ('00000000-0000-7000-8000-00000000b008', 'simulator-chat', '00000000-0000-7000-8000-00000000b006', 'simulator-chat', 2000000, 6000000, 16384, 4096),
  ('00000000-0000-7000-8000-00000000b009', 'paced-chat', '00000000-0000-7000-8000-00000000b007', 'simulator-chat', 2000000, 6000000, 16384, 4096);
SQL

# The first-token comparison talks to the credit-memo drafter (instant
# model); the concurrent streams to a version of the discharge-summary
# simplifier on the paced simulator's slow model (400 tokens each), each in
# a conversation of its own holding one question.
max_streams=$(printf '%s\n' ${STREAMS:-100 250 500} | sort -n | tail -1)
psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 -v n="$max_streams" <<'SQL'
update models set upstream_model = 'simulator-chat-slow' where public_id = 'paced-chat';
insert into agent_versions (agent_id, number, name, industry, summary, description, icon, model, system_prompt,
                            temperature, top_p, max_tokens, opening_message, example_prompts, datasets, tools,
                            changelog, status, published_at)
select agent_id, number + 1, name, industry, summary, description, icon, 'paced-chat', system_prompt,
       temperature, top_p, 400, opening_message, example_prompts, datasets, tools, 'paced', 'published', now()
from agent_versions
where agent_id = (select id from agents where slug = 'discharge-summary-simplifier') and number = 1;
update agents set published_version = 2 where slug = 'discharge-summary-simplifier';
insert into conversations (id, user_id, agent_id, agent_version, title)
select gen_random_uuid(), u.id, a.id, a.published_version, 'bench ' || g
from users u, agents a, generate_series(0, :n) g
where u.email = 'bench@lab.test' and a.slug = case when g = 0 then 'credit-memo-drafter' else 'discharge-summary-simplifier' end;
insert into conversation_messages (conversation_id, position, role, content)
select id, 1, 'user', 'Explain in plain words: follow up with cardiology in two weeks; take metoprolol 25 mg twice daily.'
from conversations;
SQL
psql "$DATABASE_URL" -Atc "select c.id from conversations c join agents a on a.id = c.agent_id where a.slug = 'credit-memo-drafter'" >"$STATE/first.txt"
psql "$DATABASE_URL" -Atc "select c.id from conversations c join agents a on a.id = c.agent_id where a.slug = 'discharge-summary-simplifier'" >"$STATE/paced.txt"
psql "$DATABASE_URL" -Atc "select system_prompt from agent_versions v join agents a on a.id = v.agent_id where a.slug = 'credit-memo-drafter' and v.number = a.published_version" >"$STATE/system.txt"
psql "$DATABASE_URL" -Atc "select json_build_object('temperature', temperature, 'top_p', top_p, 'max_tokens', max_tokens) from agent_versions v join agents a on a.id = v.agent_id where a.slug = 'credit-memo-drafter' and v.number = a.published_version" >"$STATE/parameters.json"

LAB_PORTAL_LISTEN="127.0.0.1:$PORT" LAB_PORTAL_LOG=warn LAB_PORTAL_SIMULATOR=false \
  LAB_PORTAL_SEED_DATASETS=false "$PORTAL_BIN" serve >"$STATE/portal.log" 2>&1 &
echo $! >"$STATE/portal.pid"
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done

STATE="$STATE" PORT="$PORT" KEY="$KEY" PASSWORD="$password" PORTAL_PID="$(cat "$STATE/portal.pid")" \
  REQUESTS="${REQUESTS:-300}" STREAMS="${STREAMS:-100 250 500}" \
  python3 "$ROOT/bench/lib/playground.py"

echo "usage records: $(psql "$DATABASE_URL" -Atc 'select count(*) from usage_records where agent_id is not null') from the playground, $(psql "$DATABASE_URL" -Atc 'select count(*) from usage_records where agent_id is null') from /v1"
"$PORTAL_BIN" ledger verify
