#!/usr/bin/env bash
# The tasks app at 10 thousand and 1 million tasks in one organization: for each size, a
# fresh database seeded with `baseops demo-data tasks` (multi-row inserts), then wrk drives
# three endpoints against `baseops serve` with a bearer token:
#
#   list    GET  /api/v1/tasks?status=todo&limit=50   a page of 50 with a filter
#   detail  GET  /api/v1/tasks/<id>                   one task with its relations
#   create  POST /api/v1/tasks                        a new task (audit record, events, reminder)
#
# and prints requests/s, p50/p99, errors, the server's peak RSS, the seeding time and the
# ratio p50(list, largest)/p50(list, smallest) — the target is at most 1.5.
#
#   bench/tasks.sh                          # SQLite, 10,000 and 1,000,000 tasks, 10 s per endpoint
#   bench/tasks.sh --db postgres            # PostgreSQL at BASEOPS_BENCH_DATABASE_URL
#   bench/tasks.sh --sizes 1000,50000 --duration 5
#
# Traffic goes to 127.0.0.1 only. Shared pieces: bench/lib.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

db=sqlite sizes=10000,1000000
while (($#)); do
    case "$1" in
        --db) db="$2"; shift 2 ;;
        --sizes) sizes="$2"; shift 2 ;;
        --duration) duration="$2"; shift 2 ;;
        --connections) connections="$2"; shift 2 ;;
        -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done
IFS=, read -r -a counts <<<"$sizes"

bench_ensure_wrk
bench_build
work=
cleanup() {
    bench_stop
    bench_drop_database
    [[ -n "$work" ]] && rm -rf "$work"
}
trap cleanup EXIT

printf '\nbaseops %s · tasks · %s · %s · %s connections, %s threads, %s s per endpoint · %s cores\n' \
    "$("$binary" version | cut -d' ' -f2)" "$db" "$(date -u +%Y-%m-%dT%H:%MZ)" "$connections" "$threads" \
    "$duration" "$(nproc)"
declare -A list_p50
for count in "${counts[@]}"; do
    work=$(mktemp -d)
    bench_database "$db" "$work"
    bench_env
    # The daily overdue digest would catch up on its missed 07:00 tick as the server starts
    # and flag the seeded overdue tasks (a tenth of a million) while wrk runs; the request
    # paths are what is measured here.
    export BASEOPS_JOBS__SCHEDULES__TASKS_OVERDUE_DIGEST__ENABLED=false
    bench_superuser "$work"
    started=$(date +%s.%N)
    (cd "$work" && "$binary" demo-data tasks --org bench --count "$count" >/dev/null 2>&1)
    seeded=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    bench_start "$work"
    bench_token "$work" '["tasks.view", "tasks.create"]'
    auth="wrk.headers[\"Authorization\"] = \"Bearer $token\""
    printf '%s\n' "$auth" >"$work/get.lua"
    printf '%s\nwrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = %s\n' \
        "$auth" '"{\"title\": \"Benchmark task\", \"priority\": \"high\", \"labels\": [\"bench\"]}"' >"$work/create.lua"
    task_id=$(curl -fs -H "Authorization: Bearer $token" "$base/api/v1/tasks?limit=1" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["items"][0]["id"])')

    printf '\n%s tasks (seeded in %s s)\n' "$count" "$seeded"
    bench_header
    bench_wrk "list ?status=todo&limit=50" "/api/v1/tasks?status=todo&limit=50" "$work/get.lua"
    list_p50[$count]=$last_p50
    bench_wrk "detail" "/api/v1/tasks/$task_id" "$work/get.lua"
    bench_wrk "create" "/api/v1/tasks" "$work/create.lua"
    printf 'server peak RSS: %s MiB\n' "$(bench_peak_rss)"
    bench_stop
    bench_drop_database
    rm -rf "$work"
    work=
done
first=${counts[0]} last=${counts[-1]}
printf '\nlist p50 ratio %s/%s tasks: %s (target ≤ 1.5)\n' "$last" "$first" \
    "$(awk -v a="${list_p50[$last]}" -v b="${list_p50[$first]}" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
