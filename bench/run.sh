#!/usr/bin/env bash
# The benchmark harness: builds release, starts `baseops serve` on a fresh database, drives
# each endpoint with wrk, and prints requests/s, p50/p99 latency, errors and the server's peak
# RSS. Traffic goes to 127.0.0.1 only; every run is bounded by --duration.
#
#   bench/run.sh                          # SQLite, every endpoint below, 10 s each
#   bench/run.sh --db postgres            # PostgreSQL at BASEOPS_BENCH_DATABASE_URL
#   bench/run.sh --duration 30 --connections 128 /readyz me
#
# Endpoints: /healthz, /readyz, login (POST /api/v1/auth/login: a full Argon2id check),
# me (GET /api/v1/me with a bearer token: authentication and RBAC), audit (GET
# /api/v1/audit/events?limit=50 with a bearer token: an authorized, paginated list).
#
# BASEOPS_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) names the
# server; the harness creates a database baseops_bench there and drops it at the end.
# Shared pieces: bench/lib.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

db=sqlite
endpoints=()
while (($#)); do
    case "$1" in
        --db) db="$2"; shift 2 ;;
        --duration) duration="$2"; shift 2 ;;
        --connections) connections="$2"; shift 2 ;;
        --threads) threads="$2"; shift 2 ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        /*|login|me|audit) endpoints+=("$1"); shift ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done
((${#endpoints[@]})) || endpoints=(/healthz /readyz login me audit)

bench_ensure_wrk
bench_build
work=$(mktemp -d)
bench_database "$db" "$work"
cleanup() {
    bench_stop
    bench_drop_database
    rm -rf "$work"
}
trap cleanup EXIT
bench_env
# Production's lock-out would stop the login benchmark after a handful of identical requests
# only on failures; these succeed. The superuser and organization exist before serve starts.
bench_superuser "$work"
bench_start "$work"
bench_token "$work" '["audit.view", "roles.view"]'

# One wrk Lua script per endpoint: method, headers and body.
wrk_script() {
    local file="$work/$1.lua"
    case "$1" in
        login) printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = %s\n' \
            "$(python3 -c 'import json, sys; print(json.dumps(sys.argv[1]))' \
                "{\"email\":\"$bench_email\",\"password\":\"$bench_password\"}")" >"$file" ;;
        me|audit) printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$token" >"$file" ;;
        *) : >"$file" ;;
    esac
    echo "$file"
}
endpoint_path() {
    case "$1" in
        login) echo /api/v1/auth/login ;;
        me) echo /api/v1/me ;;
        audit) echo "/api/v1/audit/events?limit=50" ;;
        *) echo "$1" ;;
    esac
}

printf '\nbaseops %s · %s · %s · %s connections, %s threads, %s s per endpoint · %s cores\n' \
    "$("$binary" version | cut -d' ' -f2)" "$db" "$(date -u +%Y-%m-%dT%H:%MZ)" "$connections" "$threads" "$duration" "$(nproc)"
bench_header
for endpoint in "${endpoints[@]}"; do
    # Logins hash a password (Argon2id, one per core at a time): 64 waiting clients would
    # only measure queueing and trip wrk's 2 s timeout, so they get 8.
    clients=$connections
    [[ "$endpoint" == login ]] && clients=$(( connections < 8 ? connections : 8 ))
    bench_wrk "$endpoint" "$(endpoint_path "$endpoint")" "$(wrk_script "$endpoint")" "$clients"
done
printf 'server peak RSS: %s MiB\n' "$(bench_peak_rss)"
