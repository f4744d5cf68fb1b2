#!/usr/bin/env bash
# Data viewer and download benchmark: ingestion of a CSV of 10 million rows
# (about 1 GB), the latency of viewer pages of it (p50, p99 at c=1): any page
# in file order, sorted either way, filtered on a value, filtered and sorted
# by another column (once its ranks are built, timed too), searched; and the file's download through the portal (an
# API key, streamed from the store) against nginx serving the same file
# (sendfile), best of three each.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bench/viewer.sh
#
# Knobs: ROWS (10000000), REQUESTS (200 per kind of view), PORT (18300),
# PORTAL_BIN (a portal binary; default: this checkout's release build),
# KEEP=1 keeps the scratch database and files, and REUSE="<database>
# <folder>" (as KEEP=1 printed them) measures them again without generating
# and ingesting. The file is generated with a
# fixed seed in the shape of the NYC flights table (dates, delays with
# missing values, carriers, tail numbers, airports, times), so sorts,
# filters and searches see realistic cardinalities.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE=${DATABASE_URL:?set DATABASE_URL to a PostgreSQL server (a scratch database is created)}
SERVER=${BASE%/*}
PORT=${PORT:-18300}
ROWS=${ROWS:-10000000}
REQUESTS=${REQUESTS:-200}
PORTAL_BIN=${PORTAL_BIN:-}
if [ -z "$PORTAL_BIN" ]; then
  cargo build --release -p lab-portal --bin lab-portal
  PORTAL_BIN="$(source "$ROOT/scripts/lib/tools.sh" && cargo_target_dir)/release/lab-portal"
fi
if [ -n "${REUSE:-}" ]; then
  read -r DB STATE <<<"$REUSE"
  KEEP=1
else
  DB="bench_viewer_$$"
  STATE=$(mktemp -d /tmp/bench-viewer.XXXXXX)
fi
cleanup() {
  [ -f "$STATE/pid" ] && kill "$(cat "$STATE/pid")" 2>/dev/null || true
  sleep 1
  if [ "${KEEP:-0}" != 1 ]; then
    psql "$BASE" -qc "drop database if exists $DB with (force)" >/dev/null 2>&1 || true
    rm -rf "$STATE"
  else
    echo "kept database $DB and $STATE" >&2
  fi
}
trap cleanup EXIT

if [ -z "${REUSE:-}" ]; then
mkdir -p "$STATE/seed/bench-flights"
python3 - "$STATE/seed/bench-flights" "$ROWS" <<'PY'
import json, random, sys, datetime
folder, rows = sys.argv[1], int(sys.argv[2])
rng = random.Random(2013)
carriers = ["UA", "B6", "EV", "DL", "AA", "MQ", "US", "9E", "WN", "VX", "FL", "AS", "F9", "YV", "HA", "OO"]
origins = ["EWR", "JFK", "LGA"]
dests = ["%s%s%s" % (a, b, c) for a, b, c in zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ" * 4, "MNOPQRSTUVWXYZABCDEFGHIJKL" * 4, "XYZABCDEFGHIJKLMNOPQRSTUVW" * 4)][:105]
tails = ["N%d%s" % (rng.randrange(100, 999), rng.choice(["UA", "JB", "AA", "DL", ""])) for _ in range(4000)]
start = datetime.datetime(2013, 1, 1, 5)
with open(f"{folder}/flights.csv", "w") as out:
    out.write("year,month,day,dep_time,dep_delay,arr_delay,carrier,flight,tailnum,origin,dest,air_time,distance,time_hour\n")
    for i in range(rows):
        at = start + datetime.timedelta(minutes=(i * 525600 * 10) // rows // 10)
        cancelled = rng.random() < 0.025
        delay = "NA" if cancelled else str(int(rng.expovariate(1 / 15)) - 8)
        arr = "NA" if cancelled else str(int(rng.expovariate(1 / 18)) - 12)
        dep = "NA" if cancelled else str(at.hour * 100 + at.minute)
        air = "NA" if cancelled else "%.1f" % rng.uniform(20, 690)
        out.write(f"{at.year},{at.month},{at.day},{dep},{delay},{arr},{rng.choice(carriers)},{rng.randrange(1, 8500)},"
                  f"{rng.choice(tails)},{rng.choice(origins)},{rng.choice(dests)},{air},{rng.randrange(80, 4983)},"
                  f"{at.strftime('%Y-%m-%dT%H:00:00Z')}\n")
package = {
    "name": "bench-flights", "title": "Generated flights for the viewer benchmark",
    "description": "Generated rows in the shape of the NYC flights table.",
    "licenses": [{"name": "CC0-1.0", "title": "CC0 1.0"}], "sources": [{"title": "bench/viewer.sh"}],
    "keywords": ["benchmark"], "resources": [{"path": "flights.csv"}],
    "lab": {"industry": "logistics", "tasks": [], "access": "open", "publisher": "Benchmark"},
}
json.dump(package, open(f"{folder}/datapackage.json", "w"))
open(f"{folder}/README.md", "w").write("Generated rows for the viewer benchmark.\n")
PY
bytes=$(stat -c %s "$STATE/seed/bench-flights/flights.csv")
echo "generated $ROWS rows, $((bytes / 1000000)) MB" >&2

psql "$BASE" -qc "create database $DB"
DATABASE_URL="$SERVER/$DB" "$PORTAL_BIN" migrate >/dev/null
started=$(date +%s.%N)
DATABASE_URL="$SERVER/$DB" LAB_PORTAL_DATASETS_DIR="$STATE/store" LAB_PORTAL_LOG=warn NO_COLOR=1 \
  "$PORTAL_BIN" seed-datasets --dir "$STATE/seed" 2>&1 | tee "$STATE/seed.log"
ended=$(date +%s.%N)
# The build statement's own time, as the portal's slow-statement log has it;
# the COPY's is from registering the file to the build's start.
build=$(grep -o 'dataset_table_build.*elapsed_secs=[0-9.]*' "$STATE/seed.log" | grep -o '[0-9.]*$' | tail -1)
psql "$SERVER/$DB" -At -F' ' -c "select row_count, extract(epoch from built_at - created_at),
  pg_relation_size('dataset_rows.' || name) / 1000000 || '_MB',
  pg_indexes_size('dataset_rows.' || name) / 1000000 || '_MB' from dataset_tables" | {
  read -r rows copy table indexes
  python3 -c "import sys; t=float(sys.argv[2])-float(sys.argv[1]); b=float(sys.argv[3] or 0); c=float(sys.argv[4]); print(f'ingestion of {int(sys.argv[8])/1e6:.0f} MB, {int(sys.argv[5]):,} rows: {t:.0f} s in all: {t-b-c:.0f} s reading, hashing and storing the file; {c:.0f} s COPYing its rows; {b:.0f} s building the typed table ({sys.argv[6].replace(\"_\", \" \")}) and its indexes ({sys.argv[7].replace(\"_\", \" \")}) with statistics')" \
    "$started" "$ended" "${build:-0}" "$copy" "$rows" "$table" "$indexes" "$bytes"
}
fi
bytes=$(stat -c %s "$STATE/seed/bench-flights/flights.csv")

DATABASE_URL="$SERVER/$DB" LAB_PORTAL_DATASETS_DIR="$STATE/store" LAB_PORTAL_LISTEN="127.0.0.1:$PORT" \
  LAB_PORTAL_LOG=warn LAB_PORTAL_SEED_DATASETS=false LAB_PORTAL_SIMULATOR=false \
  "$PORTAL_BIN" serve >"$STATE/log" 2>&1 &
echo $! >"$STATE/pid"
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done

# Downloads: the portal with an API key of an admin made for the purpose,
# and nginx (Debian's nginx-light) serving the stored file on this machine.
DATABASE_URL="$SERVER/$DB" LAB_PORTAL_ADMIN_PASSWORD="Quartz meadow falcon 2718" \
  "$PORTAL_BIN" create-admin --email bench@lab.test --name "Bench" >/dev/null
KEY="lp_benchviewer1_$(python3 -c 'print("A" * 32)')"
psql "$SERVER/$DB" -q -v ON_ERROR_STOP=1 -v key="$KEY" <<'SQL'
insert into credit_accounts (id, owner_kind, owner_id)
select gen_random_uuid(), 'user', id from users where email = 'bench@lab.test'
on conflict do nothing;
insert into api_keys (id, user_id, account_id, name, public_id, secret_hash)
select gen_random_uuid(), u.id, a.id, 'bench', 'benchviewer1', sha256(convert_to(:'key', 'UTF8'))
from users u join credit_accounts a on a.owner_kind = 'user' and a.owner_id = u.id
where u.email = 'bench@lab.test'
on conflict (public_id) do nothing;
SQL
object=$(find "$STATE/store/objects" -type f | head -1)
mkdir -p "$STATE/nginx"
chmod 755 "$STATE"
cat >"$STATE/nginx/nginx.conf" <<NGINX
user $(id -un);
worker_processes 1;
pid $STATE/nginx/nginx.pid;
error_log $STATE/nginx/error.log;
events { worker_connections 64; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path $STATE/nginx;
  proxy_temp_path $STATE/nginx;
  fastcgi_temp_path $STATE/nginx;
  uwsgi_temp_path $STATE/nginx;
  scgi_temp_path $STATE/nginx;
  server {
    listen 127.0.0.1:$((PORT + 1));
    location = /flights.csv { alias $object; }
  }
}
NGINX
/usr/sbin/nginx -c "$STATE/nginx/nginx.conf"
best() {
  local best=0
  for _ in 1 2 3; do
    local rate
    rate=$(curl -fs -o /dev/null -w '%{speed_download}' "$@")
    best=$(python3 -c "print(max($best, $rate))")
  done
  echo "$best"
}
portal_rate=$(best -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT/datasets/bench-flights/v/1/files/flights.csv")
nginx_rate=$(best "http://127.0.0.1:$((PORT + 1))/flights.csv")
kill "$(cat "$STATE/nginx/nginx.pid")" 2>/dev/null || true
python3 -c "import sys; p, n = float(sys.argv[1]), float(sys.argv[2]) or float('nan'); print(f'download of {int(sys.argv[3])/1e6:.0f} MB: portal {p/1e6:.0f} MB/s, nginx {n/1e6:.0f} MB/s: {100*p/n:.0f} % of nginx')" \
  "$portal_rate" "$nginx_rate" "$bytes"

# A filter sorted by another column gets ranks of its own once viewed,
# built in the background: view it once, wait for them, and time the build.
curl -fs -o /dev/null "http://127.0.0.1:$PORT/datasets/bench-flights/viewer?col=origin&eq=JFK&sort=arr_delay"
ranking=$(date +%s.%N)
while :; do
  status=$(psql "$SERVER/$DB" -At -c "select status from dataset_table_pairs")
  [ "$status" = building ] || [ -z "$status" ] || break
  sleep 0.5
done
python3 -c "import sys, time; print(f'ranks of origin = … sorted by arr_delay: {sys.argv[1]} after {time.time() - float(sys.argv[2]):.0f} s')" \
  "${status:-never asked}" "$ranking"

python3 - "$PORT" "$ROWS" "$REQUESTS" <<'PY'
import http.client, random, sys, time, urllib.parse
port, rows, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
pages = (rows + 99) // 100
rng = random.Random(7)
conn = http.client.HTTPConnection("127.0.0.1", port)
def get(path, api):
    if api:
        body = urllib.parse.urlencode(api)
        conn.request("POST", "/api/view_dataset", body=body,
                     headers={"content-type": "application/x-www-form-urlencoded", "accept": "application/json",
                              "origin": f"http://127.0.0.1:{port}"})
    else:
        conn.request("GET", path, headers={"accept": "text/html"})
    response = conn.getresponse()
    data = response.read()
    assert response.status == 200, (path, api, response.status, data[:300])
    return data
views = [
    ("any page, file order", lambda: {"page": rng.randrange(1, pages + 1)}),
    ("any page, sorted by dep_delay", lambda: {"sort": "dep_delay", "page": rng.randrange(1, pages + 1)}),
    ("any page, sorted by tailnum descending", lambda: {"sort": "tailnum", "dir": "desc", "page": rng.randrange(1, pages + 1)}),
    ("any page, carrier = UA", lambda: {"col": "carrier", "eq": "UA", "page": rng.randrange(1, pages // 16)}),
    ("any page, dest = a random airport", lambda: {"col": "dest", "eq": rng.choice(["AMX", "BNY", "COZ"]), "page": rng.randrange(1, pages // 110)}),
    ("origin = JFK, sorted by arr_delay, pages 1-10", lambda: {"col": "origin", "eq": "JFK", "sort": "arr_delay", "dir": "desc", "page": rng.randrange(1, 11)}),
    ("origin = JFK, sorted by arr_delay, any page", lambda: {"col": "origin", "eq": "JFK", "sort": "arr_delay", "dir": rng.choice(["asc", "desc"]), "page": rng.randrange(1, pages // 3)}),
    # A search reads the rows its trigram index gives: measured with a
    # tenth of the requests.
    ("search a tail number, page 1", lambda: {"q": "N%dUA" % rng.randrange(100, 999)}),
]
SLOW = 1
print(f"{'view (page of 100 rows)':<48} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}   (server function; whole page p50)")
for i, (name, make) in enumerate(views):
    times = []
    count = n if i < len(views) - SLOW else max(10, n // 10)
    for _ in range(count):
        params = {k: str(v) for k, v in make().items()}
        api = {"slug": "bench-flights", **{f"params[{k}]": v for k, v in params.items()}}
        t = time.perf_counter()
        get(None, api)
        times.append((time.perf_counter() - t) * 1000)
    page_times = []
    for _ in range(max(5, count // 10)):
        params = {k: str(v) for k, v in make().items()}
        t = time.perf_counter()
        get("/datasets/bench-flights/viewer?" + urllib.parse.urlencode(params), None)
        page_times.append((time.perf_counter() - t) * 1000)
    times.sort(); page_times.sort()
    pct = lambda xs, p: xs[min(len(xs) - 1, int(len(xs) * p))]
    print(f"{name:<48} {pct(times, .5):8.1f} {pct(times, .99):8.1f} {times[-1]:8.1f}   ({pct(page_times, .5):.1f})")
PY
