#!/usr/bin/env bash
# Page speed: Lighthouse (npm lighthouse@12.2.3, Debian's Chromium, its
# default mobile profile: slow 4G and 4x CPU throttling) on the landing
# page, a signed-in dashboard and a list page (/models), then the server's
# time to first byte at concurrency 1 for / and /dashboard.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bench/pages.sh
#
# Needs a release build with its site (scripts/run or scripts/test makes
# both), Chromium (/usr/bin/chromium), npm (Lighthouse is installed under
# target/lighthouse on first use) and oha (OHA, default
# /tmp/bench-env/bin/oha; ../shared/bench/proxy/setup.sh installs it).
# Knobs: PORT (18200), RUNS (3 Lighthouse runs per page; the median is
# reported), REQUESTS (500 per page for the TTFB), PORTAL_BIN (the binary;
# default target/release/lab-portal).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT=${PORT:-18200}
RUNS=${RUNS:-3}
REQUESTS=${REQUESTS:-500}
OHA=${OHA:-/tmp/bench-env/bin/oha}
BASE=${DATABASE_URL:?set DATABASE_URL to a PostgreSQL server (a scratch database is created)}
SERVER=${BASE%/*}
DB="lab_portal_pages_$$"
BIN=${PORTAL_BIN:-$ROOT/target/release/lab-portal}
LH_DIR="$ROOT/target/lighthouse"
OUT="$ROOT/target/bench-pages"
STATE=$(mktemp -d)
URL="http://127.0.0.1:$PORT"
EMAIL="speed@lab.test"
PASSWORD="Violet harbor 8841 compass"

cleanup() {
  [ -f "$STATE/pid" ] && kill "$(cat "$STATE/pid")" 2>/dev/null || true
  sleep 1
  psql "$BASE" -qc "drop database if exists $DB with (force)" >/dev/null 2>&1 || true
  rm -rf "$STATE"
}
trap cleanup EXIT

[ -x "$BIN" ] && [ -f "$ROOT/target/site/pkg/assets.json" ] ||
  { echo "build the release site first (scripts/run or scripts/test)" >&2; exit 1; }
if [ ! -x "$LH_DIR/node_modules/.bin/lighthouse" ]; then
  mkdir -p "$LH_DIR"
  # A package of its own, or npm installs into the checkout's package.json.
  [ -f "$LH_DIR/package.json" ] || echo '{"private": true}' >"$LH_DIR/package.json"
  (cd "$LH_DIR" && npm install --no-audit --no-fund --loglevel=error lighthouse@12.2.3)
fi
mkdir -p "$OUT"

psql "$BASE" -qc "create database $DB" >/dev/null
export DATABASE_URL="$SERVER/$DB"
export LAB_PORTAL_LISTEN="127.0.0.1:$PORT" LAB_PORTAL_SITE_ROOT="$ROOT/target/site" LAB_PORTAL_LOG=warn
"$BIN" migrate
LAB_PORTAL_ADMIN_PASSWORD="$PASSWORD" "$BIN" create-admin --email "$EMAIL" --name "Speed Check" >/dev/null
"$BIN" serve >"$STATE/log" 2>&1 &
echo $! >"$STATE/pid"
for _ in $(seq 100); do curl -fs "$URL/healthz" >/dev/null && break; sleep 0.1; done

# A signed-in session for the dashboard.
curl -fs -o /dev/null -c "$STATE/jar" -H "origin: $URL" -H "accept: application/json" \
  --data-urlencode "email=$EMAIL" --data-urlencode "password=$PASSWORD" "$URL/api/sign_in"
SESSION=$(awk '$6 == "lab_session" { print $7 }' "$STATE/jar")
[ -n "$SESSION" ] || { echo "could not sign in" >&2; exit 1; }
COOKIE="lab_session=$SESSION"

lighthouse() { # NAME PATH [COOKIE]
  local name="$1" path="$2" cookie="${3:-}" run headers=()
  [ -n "$cookie" ] && headers=(--extra-headers="{\"Cookie\": \"$cookie\"}")
  for run in $(seq "$RUNS"); do
    CHROME_PATH=/usr/bin/chromium "$LH_DIR/node_modules/.bin/lighthouse" "$URL$path" \
      --quiet --output=json --output-path="$OUT/$name-$run.json" \
      --chrome-flags="--headless --no-sandbox --disable-gpu" "${headers[@]}" >/dev/null 2>&1
  done
  python3 - "$name" "$OUT" "$RUNS" <<'PY'
import json, statistics, sys
name, out, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
reports = [json.load(open(f"{out}/{name}-{i}.json")) for i in range(1, runs + 1)]
def med(f): return statistics.median(f(r) for r in reports)
score = lambda key: med(lambda r: r["categories"][key]["score"] * 100)
audit = lambda key: med(lambda r: r["audits"][key]["numericValue"])
print(f"| {name} | {score('performance'):.0f} | {score('accessibility'):.0f} | "
      f"{score('best-practices'):.0f} | {score('seo'):.0f} | "
      f"{audit('interactive') / 1000:.1f} s | {audit('total-byte-weight') / 1024:.0f} KB |")
PY
}

echo "Lighthouse, mobile (slow 4G, 4x CPU), median of $RUNS runs:"
echo "| page | performance | accessibility | best practices | SEO | time to interactive | transferred |"
echo "|---|---|---|---|---|---|---|"
lighthouse landing /
lighthouse dashboard /dashboard "$COOKIE"
lighthouse models /models

echo
echo "Time to first byte at concurrency 1 ($REQUESTS requests):"
ttfb() { # NAME PATH [COOKIE]
  local args=(-n "$REQUESTS" -c 1 --no-tui --output-format json)
  [ -n "${3:-}" ] && args+=(-H "Cookie: $3")
  "$OHA" "${args[@]}" "$URL$2" >"$OUT/ttfb-$1.json"
  python3 - "$1" "$OUT/ttfb-$1.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[2]))
p = r["latencyPercentiles"]
print(f"| {sys.argv[1]} | {p['p50'] * 1000:.2f} ms | {p['p99'] * 1000:.2f} ms | {r['summary']['successRate'] * 100:.0f}% |")
PY
}
echo "| page | p50 | p99 | success |"
echo "|---|---|---|---|"
ttfb landing /
ttfb dashboard /dashboard "$COOKIE"
