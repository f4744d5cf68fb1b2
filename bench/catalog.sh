#!/usr/bin/env bash
# Dataset catalog benchmark: search latency at c=1 (p50, p99) and
# throughput at c=32 over 10,000 generated datasets, through the JSON API
# and the server-rendered catalog page.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bench/catalog.sh
#
# Knobs: DATASETS (10000), DURATION (10 seconds per measurement), PORT
# (18200), PORTAL_BIN (a portal binary; default: this checkout's release
# build), OHA (default: oha on PATH, else the proxy harness's
# /tmp/bench-env/bin/oha). Each dataset has a title, summary, tags and a
# card of about 1 kB of words drawn from a vocabulary of the Lab's
# industries, so searches have realistic selectivity, and facet values
# (industry, one or two tasks, license, one or two formats, size) varying
# independently, so about 4,000 distinct combinations of them: filters
# have realistic selectivity too.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE=${DATABASE_URL:?set DATABASE_URL to a PostgreSQL server (a scratch database is created)}
SERVER=${BASE%/*}
PORT=${PORT:-18200}
N=${DATASETS:-10000}
DURATION=${DURATION:-10}
OHA=${OHA:-$(command -v oha || echo /tmp/bench-env/bin/oha)}
PORTAL_BIN=${PORTAL_BIN:-}
if [ -z "$PORTAL_BIN" ]; then
  cargo build --release -p lab-portal --bin lab-portal
  PORTAL_BIN="$(source "$ROOT/scripts/lib/tools.sh" && cargo_target_dir)/release/lab-portal"
fi
DB="bench_catalog_$$"
STATE=$(mktemp -d)
cleanup() {
  [ -f "$STATE/pid" ] && kill "$(cat "$STATE/pid")" 2>/dev/null || true
  sleep 1
  psql "$BASE" -qc "drop database if exists $DB with (force)" >/dev/null 2>&1 || true
  rm -rf "$STATE"
}
trap cleanup EXIT

psql "$BASE" -qc "create database $DB"
DATABASE_URL="$SERVER/$DB" "$PORTAL_BIN" migrate >/dev/null
psql "$SERVER/$DB" -q -v ON_ERROR_STOP=1 -v n="$N" <<'SQL'
create temporary table words (i int primary key, w text);
insert into words
select row_number() over () - 1, w from unnest(string_to_array(
  'energy electricity grid load forecast solar wind turbine outage demand price retail basket store '
  'sales promotion customer churn loyalty logistics shipment delay freight route warehouse fleet '
  'flight airport carrier manufacturing scrap rework defect sensor vibration machine yield quality '
  'finance credit loan fraud transaction payment risk portfolio market stock healthcare patient '
  'clinical diagnosis hospital admission discharge trial diabetes cardiology imaging weather '
  'temperature rainfall hourly daily monthly annual regional national survey panel census time series '
  'classification regression anomaly detection benchmark labelled anonymised open public', ' ')) as w;
with g as (select s, (s * 7919) % 97 as a, (s * 104729) % 89 as b, (s * 1299709) % 83 as c from generate_series(1::bigint, :n) s),
     named as (
  select s,
         (select w from words where i = a % (select count(*) from words)) as w1,
         (select w from words where i = b % (select count(*) from words)) as w2,
         (select w from words where i = c % (select count(*) from words)) as w3
  from g)
insert into datasets (id, slug, title, summary, industry, tasks, license_id, license_name, tags, publisher,
                      source_name, access, featured, card, latest_version, formats, row_count, size_category,
                      downloads, published_at)
select gen_random_uuid(), 'ds-' || s,
       initcap(w1 || ' ' || w2 || ' ' || w3) || ' ' || s,
       'Records of ' || w1 || ' and ' || w2 || ' for ' || w3 || ' analysis, collected over several years.',
       (array['finance','healthcare','logistics','manufacturing','retail','energy','cross-industry'])[1 + s % 7],
       case when (s / 3) % 3 = 0
            then array[tasks[1 + (s / 7) % 5], tasks[1 + ((s / 7) % 5 + 1 + (s / 13) % 4) % 5]]
            else array[tasks[1 + (s / 7) % 5]] end,
       (array['CC0-1.0','CC-BY-4.0','MIT','ODbL-1.0','Apache-2.0'])[1 + (s / 35) % 5],
       'a license', array[w1, w2], 'Bench publisher', 'Generated', 'open', s % 50 = 0,
       repeat(w1 || ' ' || w2 || ' ' || w3 || ' measurements of ' || w2 || '. ', 20),
       1,
       case when (s / 11) % 4 = 0
            then array[formats[1 + (s / 175) % 3], formats[1 + ((s / 175) % 3 + 1) % 3]]
            else array[formats[1 + (s / 175) % 3]] end,
       (s * 37) % 2000000,
       (array['n<1K','1K<n<10K','10K<n<100K','100K<n<1M','n>1M'])[1 + (s / 525) % 5],
       (s * 13) % 1000, now() - make_interval(mins => s::int)
from named,
     lateral (select array['classification','regression','forecasting','anomaly-detection','clustering'] as tasks,
                     array['csv','parquet','jsonl'] as formats) facet_values;
vacuum analyze datasets;
SQL
echo "generated $(psql "$SERVER/$DB" -Atc 'select count(*) from datasets') datasets" >&2

DATABASE_URL="$SERVER/$DB" LAB_PORTAL_LISTEN="127.0.0.1:$PORT" LAB_PORTAL_LOG=warn \
  LAB_PORTAL_SEED_DATASETS=false LAB_PORTAL_SIMULATOR=false \
  "$PORTAL_BIN" serve >"$STATE/log" 2>&1 &
echo $! >"$STATE/pid"
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done

QUERIES=(
  "/api/v1/datasets"
  "/api/v1/datasets?q=electricity+forecast"
  "/api/v1/datasets?q=fligth+delay"
  "/api/v1/datasets?industry=energy&task=forecasting&sort=downloads"
  "/api/v1/datasets?q=retail&license=MIT&page=3"
  "/datasets?q=electricity+forecast"
)
printf '%-66s %8s %8s %8s %10s\n' "request" "p50 ms" "p99 ms" "c=1 rps" "c=32 rps"
for path in "${QUERIES[@]}"; do
  url="http://127.0.0.1:$PORT$path"
  curl -fs -o /dev/null "$url"
  one=$("$OHA" -z "${DURATION}s" -c 1 --no-tui --output-format json "$url")
  many=$("$OHA" -z "${DURATION}s" -c 32 --no-tui --output-format json "$url")
  python3 - "$path" "$one" "$many" <<'PY'
import json, sys
path, one, many = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
pct = one["latencyPercentiles"]
ok = lambda r: sum(v for k, v in r["statusCodeDistribution"].items() if k.startswith("2"))
assert ok(one) and ok(many), (one["statusCodeDistribution"], many["statusCodeDistribution"])
print(f'{path:<66} {pct["p50"]*1000:8.2f} {pct["p99"]*1000:8.2f} {one["summary"]["requestsPerSec"]:8.0f} {many["summary"]["requestsPerSec"]:10.0f}')
PY
done
