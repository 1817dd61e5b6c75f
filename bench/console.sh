#!/usr/bin/env bash
# The admin console beside the JSON API, in one run: a fresh database with N leads and N
# tasks in one organization (`baseops demo-data`), then wrk against `baseops serve`:
#
#   json list     GET /api/v1/leads?limit=50   bearer token, the API's page of 50
#   console list  GET /admin/leads             session cookie, the same 50 rendered as HTML
#   tasks list    GET /admin/tasks             the tasks page
#   palette       GET /admin/search?q=NAME     the command palette's record search
#   home          GET /admin                   the sections; the work cards load after it
#   your work     GET /admin/work (HX-Request) the person's work cards, as the home page loads them
#   dashboard     GET /admin/dashboard         when the analytics app is composed
#
# It prints requests/s, p50/p99 and errors per endpoint, the server's peak RSS, the ratio
# console list ÷ JSON list requests/s (target ≥ 0.6), and the bytes a first visit of the
# leads page transfers compressed, assets included (target ≤ 150 KB), and the size of an htmx
# partial, the import wizard's progress panel (target ≤ 20 KB).
#
#   bench/console.sh                          # SQLite, 1,000,000 leads and tasks, 10 s each
#   bench/console.sh --db postgres            # PostgreSQL at BASEOPS_BENCH_DATABASE_URL
#   bench/console.sh --size 10000 --duration 5
#
# Traffic goes to 127.0.0.1 only. Shared pieces: bench/lib.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

db=sqlite size=1000000
while (($#)); do
    case "$1" in
        --db) db="$2"; shift 2 ;;
        --size) size="$2"; shift 2 ;;
        --duration) duration="$2"; shift 2 ;;
        --connections) connections="$2"; shift 2 ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done

bench_ensure_wrk
bench_build
work=$(mktemp -d)
cleanup() {
    bench_stop
    bench_drop_database
    rm -rf "$work"
}
trap cleanup EXIT

printf '\nbaseops %s · console · %s · %s · %s connections, %s threads, %s s per endpoint · %s cores\n' \
    "$("$binary" version | cut -d' ' -f2)" "$db" "$(date -u +%Y-%m-%dT%H:%MZ)" "$connections" "$threads" \
    "$duration" "$(nproc)"
bench_database "$db" "$work"
bench_env
export BASEOPS_JOBS__SCHEDULES__TASKS_OVERDUE_DIGEST__ENABLED=false
bench_superuser "$work"
started=$(date +%s.%N)
(cd "$work" && "$binary" demo-data leads --org bench --count "$size" >/dev/null 2>&1)
(cd "$work" && "$binary" demo-data tasks --org bench --count "$size" >/dev/null 2>&1)
seeded=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
bench_start "$work"
bench_token "$work" '["leads.view", "leads.import"]'

# A console session: the sign-in form, as a browser posts it.
curl -fs -o /dev/null -c "$work/console.jar" --data-urlencode "email=$bench_email" \
    --data-urlencode "password=$bench_password" "$base/admin/login"
session=$(awk '$6 ~ /session/ { print $6 "=" $7 }' "$work/console.jar")
printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$token" >"$work/json.lua"
printf 'wrk.headers["Cookie"] = "%s"\n' "$session" >"$work/console.lua"
printf 'wrk.headers["Cookie"] = "%s"\nwrk.headers["HX-Request"] = "true"\n' "$session" >"$work/work.lua"
name=$(curl -fs -H "Authorization: Bearer $token" "$base/api/v1/leads?limit=1" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["items"][0]["last_name"])')

printf '\n%s leads and %s tasks (seeded in %s s)\n' "$size" "$size" "$seeded"
bench_header
bench_wrk "json list ?limit=50" "/api/v1/leads?limit=50" "$work/json.lua"
json_rps=$last_rps
bench_wrk "console list /admin/leads" "/admin/leads" "$work/console.lua"
console_rps=$last_rps
bench_wrk "console /admin/tasks" "/admin/tasks" "$work/console.lua"
bench_wrk "palette ?q=$name" "/admin/search?q=$name" "$work/console.lua"
bench_wrk "home /admin" "/admin" "$work/console.lua"
bench_wrk "your work /admin/work (htmx)" "/admin/work" "$work/work.lua"
if [[ $(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $session" "$base/admin/dashboard") == 200 ]]; then
    bench_wrk "dashboard" "/admin/dashboard" "$work/console.lua"
fi
printf 'server peak RSS: %s MiB\n' "$(bench_peak_rss)"
printf 'console list ÷ json list requests/s %s ÷ %s = %s (target ≥ 0.6)\n' "$console_rps" "$json_rps" \
    "$(awk -v a="$console_rps" -v b="$json_rps" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"

# A first visit: the page and every asset it links, gzip as a browser asks for it.
page=$(curl -fs -H "Cookie: $session" "$base/admin/leads")
total=$(curl -fs -o /dev/null --compressed -w '%{size_download}' -H "Cookie: $session" "$base/admin/leads")
while read -r asset; do
    total=$((total + $(curl -fs -o /dev/null --compressed -w '%{size_download}' "$base$asset")))
done < <(grep -o '/admin/assets/[A-Za-z0-9._-]*' <<<"$page" | sort -u)
printf 'first visit of /admin/leads, compressed, assets included: %s bytes (target ≤ 153600)\n' "$total"

# An htmx partial: the import wizard's progress panel, as its hx-get polls it.
printf 'email,first_name\npartial@bench.test,Partial\n' >"$work/partial.csv"
import_id=$(curl -fs -H "Authorization: Bearer $token" -F "file=@$work/partial.csv;type=text/csv" \
    "$base/api/v1/leads/imports" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
partial="$base/admin/leads/imports/$import_id"
printf 'htmx partial (the import progress panel): %s bytes, compressed %s (target ≤ 20480)\n' \
    "$(curl -fs -o /dev/null -w '%{size_download}' -H "Cookie: $session" -H 'HX-Request: true' "$partial")" \
    "$(curl -fs -o /dev/null --compressed -w '%{size_download}' -H "Cookie: $session" -H 'HX-Request: true' "$partial")"
