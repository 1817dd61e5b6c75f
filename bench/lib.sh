# shellcheck shell=bash
# Shell pieces the benchmark scripts share: source it from bench/*.sh (after `cd` to the
# repository root). Everything stays on 127.0.0.1 and every wrk run is bounded by a duration.
#
#   bench_ensure_wrk                      installs wrk from Debian when missing
#   bench_build                           release build (or $BENCH_BINARY); sets $binary
#   bench_database KIND WORKDIR           fresh SQLite file or PostgreSQL database; sets $database_url
#   bench_drop_database                   drops the PostgreSQL database again (no-op on SQLite)
#   bench_env                             exports the server's settings for $database_url
#   bench_superuser WORKDIR               migrate, then a superuser with the organization "Bench" (slug bench)
#   bench_start WORKDIR                   starts `baseops serve` on a free port; sets $server_pid, $base
#   bench_stop                            stops it (SIGTERM, waits)
#   bench_token WORKDIR SCOPES_JSON       logs in and creates an API token; sets $token
#   bench_wrk NAME PATH SCRIPT [CLIENTS]  one wrk run; prints a result line, sets $last_p50 and $last_rps
#   bench_peak_rss                        the server's peak RSS in MiB

bench_email=bench@example.com
bench_password=bench-password-0123456789
bench_pg_admin="${BASEOPS_BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
bench_pg_db=baseops_bench
duration=${duration:-10} connections=${connections:-64} threads=${threads:-2}
server_pid=

bench_ensure_wrk() {
    command -v wrk >/dev/null 2>&1 && return
    echo "installing wrk (Debian package)" >&2
    apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
}

# BENCH_BINARY names a binary built elsewhere (another checkout, a CI artifact)
# to measure instead of building this tree.
bench_build() {
    if [[ -n "${BENCH_BINARY:-}" ]]; then
        binary=$BENCH_BINARY
        return
    fi
    cargo build --release --locked -p baseops >&2
    binary="${CARGO_TARGET_DIR:-$PWD/target}/release/baseops"
}

bench_database() {
    bench_db_kind=$1
    case "$1" in
        sqlite) database_url="sqlite://$2/baseops.db" ;;
        postgres)
            psql -q "$bench_pg_admin" -c "DROP DATABASE IF EXISTS $bench_pg_db WITH (FORCE)" -c "CREATE DATABASE $bench_pg_db"
            database_url="${bench_pg_admin%/*}/$bench_pg_db" ;;
        *) echo "--db is sqlite or postgres" >&2; return 2 ;;
    esac
}

bench_drop_database() {
    [[ "${bench_db_kind:-}" == postgres ]] && psql -q "$bench_pg_admin" -c "DROP DATABASE IF EXISTS $bench_pg_db WITH (FORCE)"
    return 0
}

bench_env() {
    export BASEOPS_CONFIG_DIR="$PWD/config" BASEOPS_ENV=dev BASEOPS_DATABASE__URL="$database_url" \
        BASEOPS_LOG__LEVEL=warn BASEOPS_LOG__FILES=false BASEOPS_DATABASE__LOG_STATEMENTS=false
}

bench_superuser() {
    (cd "$1" && "$binary" migrate >/dev/null 2>&1 &&
        printf '%s\n' "$bench_password" | "$binary" createsuperuser --email "$bench_email" \
            --organization "Bench" --password-stdin >/dev/null 2>&1)
}

bench_start() {
    local port
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    (cd "$1" && exec "$binary" serve --bind "127.0.0.1:$port" >"$1/server.log" 2>&1) &
    server_pid=$!
    base="http://127.0.0.1:$port"
    for _ in $(seq 1 100); do
        curl -fs "$base/healthz" >/dev/null 2>&1 && return 0
        kill -0 "$server_pid" 2>/dev/null || { cat "$1/server.log" >&2; return 1; }
        sleep 0.1
    done
}

bench_stop() {
    if [[ -n "$server_pid" ]]; then
        kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
        server_pid=
    fi
    return 0
}

bench_token() {
    local login_body csrf
    login_body="{\"email\":\"$bench_email\",\"password\":\"$bench_password\"}"
    csrf=$(curl -fs -c "$1/jar" -H 'content-type: application/json' -d "$login_body" "$base/api/v1/auth/login" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["csrf_token"])')
    # shellcheck disable=SC2034  # read by the scripts that source this file
    token=$(curl -fs -b "$1/jar" -H 'content-type: application/json' -H "x-csrf-token: $csrf" \
        -d "{\"name\": \"bench\", \"scopes\": $2}" "$base/api/v1/tokens" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
}

# wrk prints latencies as 452.00us / 1.21ms / 2.00s: normalize to milliseconds.
bench_to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'; }

bench_header() {
    printf '%-28s %12s %10s %10s %8s\n' endpoint requests/s p50_ms p99_ms errors
}

bench_wrk() {
    local name=$1 path=$2 script=$3 clients=${4:-$connections} out rps p99 non2xx socket
    out=$(wrk -t"$threads" -c"$clients" -d"${duration}s" --latency -s "$script" "$base$path")
    rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
    # shellcheck disable=SC2034  # read by the scripts that source this file
    last_rps=$rps
    last_p50=$(bench_to_ms "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
    p99=$(bench_to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' <<<"$out")
    socket=$(awk '/Socket errors:/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' <<<"$out")
    printf '%-28s %12s %10s %10s %8s\n' "$name" "$rps" "$last_p50" "$p99" "$(( ${non2xx:-0} + ${socket:-0} ))"
}

bench_peak_rss() {
    awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$server_pid/status"
}
