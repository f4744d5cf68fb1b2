#!/usr/bin/env bash
# Organization proxy benchmark: /v1/chat/completions throughput at c=64 with
# 100 API keys of 100 members billed to one organization's pool, each
# member under a monthly budget (so every lease is bounded by a budget and
# counted in its period), against the same portal with one developer's key
# on their own credit. Both are driven by wrk (a Lua script rotating the
# keys request by request) in front of the proxy harness's instant fake
# upstream, in interleaved rounds (each round alternating which goes first). Goal: the organization within 10 % of
# the single user.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bench/org_proxy.sh
#
# Knobs: ROUNDS (4), DURATION (15 s), CONC (64), MEMBERS (100), PORT
# (18100), PORTAL_BIN (default: this checkout's release build),
# BENCH_HARNESS (../shared/bench/proxy). Needs wrk and nginx's echo module
# (Debian: wrk, libnginx-mod-http-echo).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HARNESS=${BENCH_HARNESS:-$ROOT/../shared/bench/proxy}
PORT=${PORT:-18100}
BASE=${DATABASE_URL:?set DATABASE_URL to a PostgreSQL server (a scratch database is created)}
SERVER=${BASE%/*}
ROUNDS=${ROUNDS:-4}
DURATION=${DURATION:-15}
CONC=${CONC:-64}
MEMBERS=${MEMBERS:-100}
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
"$HARNESS/start-upstream.sh" >/dev/null
DB="${DBS[0]}"

# One organization with ample credit in its pool; MEMBERS members, each
# with a budget of a million credits a month and a key billed to the pool.
# Keys are lp_benchorgNNNN_<32 characters>, stored as SHA-256 like any key.
python3 - "$MEMBERS" "$STATE/org.keys" >"$STATE/org.sql" <<'PY'
import hashlib, sys
members = int(sys.argv[1])
print("begin;")
print("insert into teams (id, kind, slug, name, time_zone) values "
      "('00000000-0000-7000-8000-0000000c0001', 'organization', 'bench-org', 'Bench Org', 'Asia/Singapore');")
print("insert into organizations (team_id, country, industry) values "
      "('00000000-0000-7000-8000-0000000c0001', 'SG', 'finance');")
print("insert into credit_accounts (id, owner_kind, owner_id) values "
      "('00000000-0000-7000-8000-0000000c0002', 'organization', '00000000-0000-7000-8000-0000000c0001');")
print("insert into ledger_transactions (id, kind, memo) values "
      "('00000000-0000-7000-8000-0000000c0003', 'grant', 'benchmark pool');")
print("insert into ledger_entries (transaction_id, account_id, bucket, amount) "
      "select '00000000-0000-7000-8000-0000000c0003'::uuid, id, 'available', -1000000000000000 "
      "from credit_accounts where owner_kind = 'treasury' "
      "union all select '00000000-0000-7000-8000-0000000c0003'::uuid, "
      "'00000000-0000-7000-8000-0000000c0002'::uuid, 'available', 1000000000000000;")
print("update credit_accounts set available = 1000000000000000 "
      "where id = '00000000-0000-7000-8000-0000000c0002';")
print("insert into credit_lots (id, account_id, transaction_id, original, remaining) values "
      "('00000000-0000-7000-8000-0000000c0004', '00000000-0000-7000-8000-0000000c0002', "
      "'00000000-0000-7000-8000-0000000c0003', 1000000000000000, 1000000000000000);")
keys = []
for i in range(members):
    user = f"00000000-0000-7000-8001-{i:012d}"
    key_id = f"00000000-0000-7000-8002-{i:012d}"
    public = f"benchorg{i:04d}"
    key = f"lp_{public}_" + hashlib.sha256(f"bench-org-{i}".encode()).hexdigest()[:32]
    keys.append(key)
    print(f"insert into users (id, email, password_hash, display_name, account_kind, country, email_verified_at) "
          f"values ('{user}', 'member{i}@bench-org.test', 'unused', 'Member {i}', 'business', 'SG', now());")
    print(f"insert into team_members (team_id, user_id, role, budget_amount, budget_period) values "
          f"('00000000-0000-7000-8000-0000000c0001', '{user}', 'member', 1000000000000, 'month');")
    print(f"insert into api_keys (id, user_id, account_id, team_id, name, public_id, secret_hash) values "
          f"('{key_id}', '{user}', '00000000-0000-7000-8000-0000000c0002', "
          f"'00000000-0000-7000-8000-0000000c0001', 'bench', '{public}', "
          f"decode('{hashlib.sha256(key.encode()).hexdigest()}', 'hex'));")
print("commit;")
with open(sys.argv[2], "w") as out:
    out.write("\n".join(keys) + "\n")
PY
psql "$SERVER/$DB" -q -v ON_ERROR_STOP=1 -f "$STATE/org.sql"
echo "$KEY" >"$STATE/user.keys"

BODY='{"model":"bench-model","messages":[{"role":"user","content":"Say hello."}],"max_tokens":16}'
cat >"$STATE/keys.lua" <<LUA
local keys = {}
for line in io.lines(os.getenv("KEYS_FILE")) do keys[#keys + 1] = line end
local body = '$BODY'
local n = 0
request = function()
  n = n + 1
  local key = keys[(n % #keys) + 1]
  return wrk.format("POST", "/v1/chat/completions",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key}, body)
end
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
               + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %.1f %.3f %.3f %d\n", (summary.requests - errors) / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors))
end
LUA

# Every key answers before measuring.
for file in user org; do
  while read -r key; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
      -d "$BODY" "http://127.0.0.1:$PORT/v1/chat/completions")
    [ "$code" = 200 ] || { echo "key of $file answered $code" >&2; exit 1; }
  done <"$STATE/$file.keys"
done

run() {
  KEYS_FILE="$STATE/$1.keys" wrk -t2 -c"$CONC" -d"${2}s" -s "$STATE/keys.lua" "http://127.0.0.1:$PORT" |
    grep '^RESULT' | cut -d' ' -f2-
}
echo "round  target        rps      p50 ms   p99 ms   errors"
declare -A total
for round in $(seq 1 "$ROUNDS"); do
  # Alternate which goes first: the database grows as rounds go on.
  order="user org"
  [ $((round % 2)) = 0 ] && order="org user"
  for target in $order; do
    run "$target" 2 >/dev/null
    read -r rps p50 p99 errors < <(run "$target" "$DURATION")
    printf '%-6s %-12s %9.1f %8.2f %8.2f %8d\n' "$round" "$target" "$rps" "$p50" "$p99" "$errors"
    total[$target]=$(python3 -c "print(${total[$target]:-0} + $rps)")
  done
done
python3 -c "import sys; u, o = float(sys.argv[1]), float(sys.argv[2]); print(f'mean rps: one user {u:.0f}, organization ({sys.argv[3]} keys, budgets on) {o:.0f}: {100 * o / u:.1f} % of one user')" \
  "$(python3 -c "print(${total[user]} / $ROUNDS)")" "$(python3 -c "print(${total[org]} / $ROUNDS)")" "$MEMBERS"

# Every request was metered within its member's budget, and the ledger holds.
psql "$SERVER/$DB" -Atc "select 'organization requests: ' || count(*) || ', members: ' || count(distinct user_id) from usage_records where account_id = '00000000-0000-7000-8000-0000000c0002'"
psql "$SERVER/$DB" -Atc "select 'members over budget: ' || count(*) from member_budget_periods b join team_members m using (team_id, user_id) where b.spent > m.budget_amount"
DATABASE_URL="$SERVER/$DB" "$PORTAL_BIN" ledger verify
