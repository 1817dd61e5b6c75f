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
set -euo pipefail
cd "$(dirname "$0")/.."

db=sqlite duration=10 connections=64 threads=2
endpoints=()
while (($#)); do
    case "$1" in
        --db) db="$2"; shift 2 ;;
        --duration) duration="$2"; shift 2 ;;
        --connections) connections="$2"; shift 2 ;;
        --threads) threads="$2"; shift 2 ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        /*|login|me|audit) endpoints+=("$1"); shift ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done
((${#endpoints[@]})) || endpoints=(/healthz /readyz login me audit)

if ! command -v wrk >/dev/null 2>&1; then
    echo "installing wrk (Debian package)" >&2
    apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi

cargo build --release --locked -p baseops >&2
binary="${CARGO_TARGET_DIR:-$PWD/target}/release/baseops"

work=$(mktemp -d)
pg_admin="${BASEOPS_BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
pg_db=baseops_bench
case "$db" in
    sqlite) database_url="sqlite://$work/baseops.db" ;;
    postgres)
        psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" -c "CREATE DATABASE $pg_db"
        database_url="${pg_admin%/*}/$pg_db" ;;
    *) echo "--db is sqlite or postgres" >&2; exit 2 ;;
esac

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
server_pid=
cleanup() {
    [[ -n "$server_pid" ]] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    [[ "$db" == postgres ]] && psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)"
    rm -rf "$work"
}
trap cleanup EXIT

export BASEOPS_CONFIG_DIR="$PWD/config" BASEOPS_ENV=dev BASEOPS_DATABASE__URL="$database_url" \
    BASEOPS_LOG__LEVEL=warn BASEOPS_LOG__FILES=false BASEOPS_DATABASE__LOG_STATEMENTS=false
# Production's lock-out would stop the login benchmark after a handful of identical requests
# only on failures; these succeed. The superuser and organization exist before serve starts.
bench_email=bench@example.com bench_password=bench-password-0123456789
(cd "$work" && "$binary" migrate >/dev/null 2>&1 &&
    printf '%s\n' "$bench_password" | "$binary" createsuperuser --email "$bench_email" \
        --organization "Bench" --password-stdin >/dev/null 2>&1)
(cd "$work" && exec "$binary" serve --bind "127.0.0.1:$port" >"$work/server.log" 2>&1) &
server_pid=$!
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
    sleep 0.1
done

base="http://127.0.0.1:$port"
login_body="{\"email\":\"$bench_email\",\"password\":\"$bench_password\"}"
csrf=$(curl -fs -c "$work/jar" -H 'content-type: application/json' -d "$login_body" "$base/api/v1/auth/login" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["csrf_token"])')
token=$(curl -fs -b "$work/jar" -H 'content-type: application/json' -H "x-csrf-token: $csrf" \
    -d '{"name": "bench", "scopes": ["audit.view", "roles.view"]}' "$base/api/v1/tokens" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')

# One wrk Lua script per endpoint: method, headers and body.
wrk_script() {
    local file="$work/$1.lua"
    case "$1" in
        login) printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = %s\n' \
            "$(python3 -c 'import json, sys; print(json.dumps(sys.argv[1]))' "$login_body")" >"$file" ;;
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

# wrk prints latencies as 452.00us / 1.21ms / 2.00s: normalize to milliseconds.
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'; }

printf '\nbaseops %s · %s · %s · %s connections, %s threads, %s s per endpoint · %s cores\n' \
    "$("$binary" version | cut -d' ' -f2)" "$db" "$(date -u +%Y-%m-%dT%H:%MZ)" "$connections" "$threads" "$duration" "$(nproc)"
printf '%-24s %12s %10s %10s %8s\n' endpoint requests/s p50_ms p99_ms errors
for endpoint in "${endpoints[@]}"; do
    # Logins hash a password (Argon2id, one per core at a time): 64 waiting clients would
    # only measure queueing and trip wrk's 2 s timeout, so they get 8.
    clients=$connections
    [[ "$endpoint" == login ]] && clients=$(( connections < 8 ? connections : 8 ))
    out=$(wrk -t"$threads" -c"$clients" -d"${duration}s" --latency -s "$(wrk_script "$endpoint")" \
        "$base$(endpoint_path "$endpoint")")
    rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
    p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
    p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' <<<"$out")
    socket=$(awk '/Socket errors:/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' <<<"$out")
    printf '%-24s %12s %10s %10s %8s\n' "$endpoint" "$rps" "$p50" "$p99" "$(( ${non2xx:-0} + ${socket:-0} ))"
done
peak_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$server_pid/status")
printf 'server peak RSS: %.1f MiB\n' "$(awk -v k="$peak_kb" 'BEGIN { print k / 1024 }')"
