#!/usr/bin/env bash
# The billing reports at 1 million invoices (issue: aging and revenue p50 ≤ 1 s). One fresh
# database, migrated, with the organization "Bench"; then, straight in SQL (a seed, not what
# is measured): 1,000 customers and N finalized invoices issued over the last two years, due
# 30 days later — every third open and owed, the others paid, each paid one with its payment
# row. Then `baseops serve` on it and wrk, one connection at a time (a report's own latency,
# not a queue's), for --duration seconds on each of
#
#   GET /api/v1/billing/reports/aging                              today's A/R aging
#   GET /api/v1/billing/reports/revenue                            the last twelve months
#   GET /api/v1/billing/reports/revenue?from=…&to=…                the two years, by month
#
# printing requests/s, p50 and p99 and "met"/"NOT met" against p50 ≤ 1,000 ms.
#
#   bench/billing_reports.sh                          # SQLite, 1,000,000 invoices
#   bench/billing_reports.sh --db postgres            # PostgreSQL at BASEOPS_BENCH_DATABASE_URL
#   bench/billing_reports.sh --invoices 100000 --duration 5
#
# Traffic goes to 127.0.0.1 only; wrk is bounded by --duration. Shared pieces: bench/lib.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh disable=SC1091
source bench/lib.sh

db=sqlite invoices=1000000
while (($#)); do
    case "$1" in
        --db) db="$2"; shift 2 ;;
        --invoices) invoices="$2"; shift 2 ;;
        --duration) duration="$2"; shift 2 ;;
        -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done
if ! [[ "$invoices" =~ ^[0-9]+$ ]] || ((invoices < 1 || invoices > 5000000)); then
    echo "--invoices is 1 to 5000000" >&2
    exit 2
fi

bench_ensure_wrk
if [[ "$db" == sqlite ]] && ! command -v sqlite3 >/dev/null 2>&1; then
    echo "installing sqlite3 (Debian package)" >&2
    apt-get install -y sqlite3 >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y sqlite3 >/dev/null; }
fi
bench_build
work=$(mktemp -d)
cleanup() {
    bench_stop
    bench_drop_database
    rm -rf "$work"
}
trap cleanup EXIT

# shellcheck disable=SC2154  # binary: set by bench_build (lib.sh)
printf '\nbaseops %s · billing reports · %s · %s invoices · %s · %s cores\n' \
    "$("$binary" version | cut -d' ' -f2)" "$db" "$invoices" "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc)"
bench_database "$db" "$work"
bench_env
bench_superuser "$work"

# The seed: ids are made from the row number (customer n: …-8000-00000000000n), so every
# invoice names its customer without a join, and each payment its invoice's customer.
pg_seed() {
    # shellcheck disable=SC2154  # database_url: set by bench_database (lib.sh)
    psql -q -v ON_ERROR_STOP=1 -v n="$invoices" "$database_url" <<'SQL'
SELECT id AS org FROM organizations WHERE slug = 'bench' \gset
INSERT INTO customers (id, organization_id, name, created_at, updated_at, version)
SELECT ('00000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid, :'org', 'Bench customer ' || g, now(), now(), 1
  FROM generate_series(1, 1000) AS g;
INSERT INTO billing_invoices (id, organization_id, customer_id, number, status, currency, rounding_mode,
       rounding_level, payment_terms_days, subtotal, net_total, total, amount_paid, amount_due, issued_on,
       due_on, finalized_at, closed_at, created_at, updated_at, version)
SELECT ('10000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid, :'org',
       ('00000000-0000-4000-8000-' || lpad((1 + g % 1000)::text, 12, '0'))::uuid, 'INV-B-' || g,
       CASE WHEN g % 3 = 0 THEN 'open' ELSE 'paid' END, 'EUR', 'half_even', 'line', 30,
       1000 + g % 90000, 1000 + g % 90000, 1000 + g % 90000,
       CASE WHEN g % 3 = 0 THEN 0 ELSE 1000 + g % 90000 END, CASE WHEN g % 3 = 0 THEN 1000 + g % 90000 ELSE 0 END,
       current_date - g % 730, current_date - g % 730 + 30, now(), CASE WHEN g % 3 = 0 THEN NULL ELSE now() END,
       now(), now(), 1
  FROM generate_series(1, :n) AS g;
INSERT INTO billing_payments (id, organization_id, customer_id, currency, amount, unapplied, method, received_on, created_at)
SELECT ('20000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid, :'org',
       ('00000000-0000-4000-8000-' || lpad((1 + g % 1000)::text, 12, '0'))::uuid, 'EUR', 1000 + g % 90000, 0,
       'bank_transfer', current_date - g % 730 + g % 40, now()
  FROM generate_series(1, :n) AS g WHERE g % 3 <> 0;
ANALYZE;
SQL
}

# SQLite keeps a uuid as its 16 bytes: 16 ASCII characters cast to a blob are one.
sqlite_seed() {
    local file=${database_url#sqlite://}
    sqlite3 -bail "$file" <<SQL
CREATE TEMP TABLE seq AS WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < $invoices) SELECT g FROM s;
CREATE TEMP TABLE facts AS SELECT id AS org, created_at AS at FROM organizations WHERE slug = 'bench';
BEGIN;
INSERT INTO customers (id, organization_id, name, created_at, updated_at, version)
SELECT CAST(printf('C%015d', g) AS BLOB), org, 'Bench customer ' || g, at, at, 1
  FROM seq, facts WHERE g <= 1000;
INSERT INTO billing_invoices (id, organization_id, customer_id, number, status, currency, rounding_mode,
       rounding_level, payment_terms_days, subtotal, net_total, total, amount_paid, amount_due, issued_on,
       due_on, finalized_at, closed_at, created_at, updated_at, version)
SELECT CAST(printf('I%015d', g) AS BLOB), org,
       CAST(printf('C%015d', 1 + g % 1000) AS BLOB), 'INV-B-' || g,
       CASE WHEN g % 3 = 0 THEN 'open' ELSE 'paid' END, 'EUR', 'half_even', 'line', 30,
       1000 + g % 90000, 1000 + g % 90000, 1000 + g % 90000,
       CASE WHEN g % 3 = 0 THEN 0 ELSE 1000 + g % 90000 END, CASE WHEN g % 3 = 0 THEN 1000 + g % 90000 ELSE 0 END,
       date('now', '-' || (g % 730) || ' days'), date('now', '-' || (g % 730) || ' days', '+30 days'), at,
       CASE WHEN g % 3 = 0 THEN NULL ELSE at END, at, at, 1
  FROM seq, facts;
INSERT INTO billing_payments (id, organization_id, customer_id, currency, amount, unapplied, method, received_on, created_at)
SELECT CAST(printf('P%015d', g) AS BLOB), org,
       CAST(printf('C%015d', 1 + g % 1000) AS BLOB), 'EUR', 1000 + g % 90000, 0,
       'bank_transfer', date('now', '-' || (g % 730) || ' days', '+' || (g % 40) || ' days'), at
  FROM seq, facts WHERE g % 3 <> 0;
COMMIT;
ANALYZE;
SQL
}

started=$(date +%s.%N)
if [[ "$db" == postgres ]]; then pg_seed; else sqlite_seed; fi
printf '%s invoices seeded in %s s\n' "$invoices" \
    "$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')"

bench_start "$work"
bench_token "$work" '["billing.view"]'
# shellcheck disable=SC2154  # token: set by bench_token (lib.sh)
printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$token" >"$work/get.lua"
two_years="from=$(date -u -d '-730 days' +%Y-%m-01)&to=$(date -u +%Y-%m-%d)"
# shellcheck disable=SC2154  # base: set by bench_start (lib.sh)
for path in "/api/v1/billing/reports/aging" "/api/v1/billing/reports/revenue?$two_years"; do
    status=$(curl -s -o "$work/answer.json" -w '%{http_code}' -H "Authorization: Bearer $token" "$base$path")
    if [[ "$status" != 200 ]]; then
        echo "GET $path answered $status: $(head -c 300 "$work/answer.json")" >&2
        tail -n 5 "$work/server.log" >&2
        exit 1
    fi
done
python3 - "$work/answer.json" "$invoices" <<'PY'
import json, sys
months = json.load(open(sys.argv[1]))
rows = months.get("months", months) if isinstance(months, dict) else months
invoiced = sum(row["invoiced"] for row in rows)
n = int(sys.argv[2])
expected = sum(1000 + g % 90000 for g in range(1, n + 1))
print(f"revenue over two years: {len(rows)} months, invoiced {invoiced} (seeded {expected}): {'agrees' if invoiced == expected else 'DIFFERS'}")
sys.exit(0 if invoiced == expected else 1)
PY

printf '\nGET, 1 connection, %s s each (target p50 ≤ 1000 ms)\n' "$duration"
bench_header
threads=1
for entry in "aging|/api/v1/billing/reports/aging" "revenue, 12 months|/api/v1/billing/reports/revenue" \
    "revenue, 24 months|/api/v1/billing/reports/revenue?$two_years"; do
    bench_wrk "${entry%%|*}" "${entry#*|}" "$work/get.lua" 1
    # shellcheck disable=SC2154  # last_p50: set by bench_wrk (lib.sh)
    awk -v p="$last_p50" -v n="${entry%%|*}" 'BEGIN { printf "  %s: p50 %.2f ms, target %s\n", n, p, (p <= 1000 ? "met" : "NOT met") }'
done
printf 'server peak RSS: %s MiB\n' "$(bench_peak_rss)"
