#!/usr/bin/env bash
# Backups and restore at 1 million leads (issue 18): one fresh database seeded with
# `baseops demo-data leads` (timed), then, each step timed on its own:
#
#   baseops backup --dir DIR --quiet              the backup file (and its size)
#   baseops backup verify FILE --quiet            restore into scratch + recompute everything
#   baseops restore FILE --force --quiet          into a fresh, empty database
#
# beside the bare tools on the same data: on PostgreSQL `pg_dump --format=custom` and
# `pg_restore` (the flags baseops gives it) into an empty database; on SQLite
# `sqlite3 DB "VACUUM INTO …"` and `sqlite3 NEW ".restore …"` (skipped, with the reason
# printed, when the sqlite3 shell is missing and cannot be installed). It prints
# ratio = bare time ÷ baseops time for the backup and the restore (target ≥ 0.8).
#
# Then the server's latency during a backup: `baseops serve` on the seeded database, wrk on
# `GET /api/v1/leads?limit=50` with a bearer token (scope leads.view) for --duration seconds
# while idle, then again while a `baseops backup` runs in the background (started just
# before wrk); p50/p99 of both, their ratios, and whether the backup outlasted wrk.
#
#   bench/backup.sh                                  # SQLite, 1,000,000 leads, 10 s of wrk
#   bench/backup.sh --db postgres                    # PostgreSQL at BASEOPS_BENCH_DATABASE_URL
#   bench/backup.sh --leads 100000 --duration 5
#
# Traffic goes to 127.0.0.1 only; every step is bounded (BENCH_STEP_TIMEOUT seconds, 1800 by
# default; wrk by --duration). The temporary directory and the databases it creates
# (baseops_bench, baseops_bench_restore, baseops_bench_bare) go away at exit. Shared pieces:
# bench/lib.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
# Plain `shellcheck` does not follow lib.sh (scripts/shellcheck.sh runs it with -x): hence the
# SC1091/SC2154 directives for what lib.sh defines.
# shellcheck source=bench/lib.sh disable=SC1091
source bench/lib.sh

db=sqlite leads=1000000
while (($#)); do
    case "$1" in
        --db) db="$2"; shift 2 ;;
        --leads) leads="$2"; shift 2 ;;
        --duration) duration="$2"; shift 2 ;;
        --connections) connections="$2"; shift 2 ;;
        -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done
[[ "$db" == sqlite || "$db" == postgres ]] || { echo "--db is sqlite or postgres" >&2; exit 2; }
step_timeout=${BENCH_STEP_TIMEOUT:-1800}
restore_db=baseops_bench_restore bare_db=baseops_bench_bare

# psql without its NOTICEs ("database … does not exist, skipping"), here and in lib.sh.
psql() { PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning" command psql "$@"; }
ratio() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
verdict() { awk -v r="$1" 'BEGIN { print (r >= 0.8 ? "met" : "NOT met") }'; }
mib() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'; }

# An empty PostgreSQL database next to the benchmark's; prints its URL.
pg_fresh() {
    # shellcheck disable=SC2154  # bench_pg_admin: lib.sh
    psql -q "$bench_pg_admin" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1"
    printf '%s/%s\n' "${bench_pg_admin%/*}" "$1"
}

# Lets the previous step's writes reach the disk before the next timed one, so no step pays
# for another's checkpoint.
settle() {
    sync
    [[ "$db" == postgres ]] && psql -q "$bench_pg_admin" -c CHECKPOINT
    return 0
}

# timed NAME COMMAND…: runs it bounded, stdout to $work/NAME.out, stderr to $work/NAME.err;
# sets $elapsed (seconds). A failure stops the benchmark with the command's stderr.
timed() {
    local name=$1 started status=0
    shift
    settle
    started=$(date +%s.%N)
    timeout "$step_timeout" "$@" >"$work/$name.out" 2>"$work/$name.err" || status=$?
    elapsed=$(since "$started")
    if ((status != 0)); then
        printf '%s failed (exit %s after %s s):\n' "$name" "$status" "$elapsed" >&2
        tail -n 20 "$work/$name.err" >&2
        exit 1
    fi
}

bench_ensure_wrk
sqlite_reason=
if [[ "$db" == sqlite ]] && ! command -v sqlite3 >/dev/null 2>&1; then
    echo "installing sqlite3 (Debian package)" >&2
    apt-get install -y sqlite3 >/dev/null 2>&1 ||
        { apt-get update >/dev/null && apt-get install -y sqlite3 >/dev/null 2>&1; } ||
        sqlite_reason="the sqlite3 shell is missing and could not be installed"
fi
bench_build
# A private copy: the shared target directory may be rebuilt by someone else mid-run.
work=$(mktemp -d)
cp "$binary" "$work/baseops"
binary="$work/baseops"
live_pid_file="$work/live.pid" live_done="$work/live.done" live_waiter=
cleanup() {
    cd /
    if [[ -n "$live_waiter" ]]; then
        [[ -s "$live_pid_file" && ! -e "$live_done" ]] && kill "$(cat "$live_pid_file")" 2>/dev/null
        wait "$live_waiter" 2>/dev/null || true
    fi
    bench_stop
    bench_drop_database
    if [[ "$db" == postgres ]]; then
        psql -q "$bench_pg_admin" -c "DROP DATABASE IF EXISTS $restore_db WITH (FORCE)" \
            -c "DROP DATABASE IF EXISTS $bare_db WITH (FORCE)" || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

printf '\nbaseops %s · backup and restore · %s · %s leads · %s · %s cores\n' \
    "$("$binary" version | cut -d' ' -f2)" "$db" "$leads" "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc)"

bench_database "$db" "$work"
bench_env
bench_superuser "$work"
cd "$work"
timed seed "$binary" demo-data leads --org bench --count "$leads"
seeded=$elapsed
if [[ "$db" == postgres ]]; then
    # Settle the fresh rows (visibility map, statistics) so autovacuum does not run into a
    # timed step.
    # shellcheck disable=SC2154  # database_url: set by bench_database (lib.sh)
    psql -q "$database_url" -c "VACUUM (ANALYZE)"
else
    db_file="$work/baseops.db"
    # Fold the seed's WAL into the file, so baseops and sqlite3 copy the same thing.
    [[ -z "$sqlite_reason" ]] && sqlite3 "$db_file" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
fi
if [[ "$db" == postgres ]]; then
    size=$(psql -Atq "$database_url" -c "SELECT pg_size_pretty(pg_database_size(current_database()))")
else
    size=$(mib "$db_file")
fi
printf '%s leads seeded in %s s (database %s)\n\n' "$leads" "$seeded" "$size"

line() { printf '%-44s %10s %14s\n' "$@"; }
line step seconds size

# The backup, and the bare tool on the same data.
mkdir -p "$work/backups"
timed backup "$binary" backup --dir "$work/backups" --quiet
backup_s=$elapsed backup_file=$(tail -n 1 "$work/backup.out")
line "baseops backup" "$backup_s" "$(mib "$backup_file")"
bare_backup_s="" bare_restore_s=""
if [[ "$db" == postgres ]]; then
    timed pg_dump pg_dump --format=custom --file "$work/bare.pgdump" --dbname "$database_url"
    bare_backup_s=$elapsed
    line "bare pg_dump --format=custom" "$bare_backup_s" "$(mib "$work/bare.pgdump")"
elif [[ -z "$sqlite_reason" ]]; then
    timed vacuum sqlite3 "$db_file" "VACUUM INTO '$work/bare.sqlite'"
    bare_backup_s=$elapsed
    line "bare sqlite3 VACUUM INTO" "$bare_backup_s" "$(mib "$work/bare.sqlite")"
fi

timed verify "$binary" backup verify "$backup_file" --quiet
line "baseops backup verify" "$elapsed" ""

# The restore into a fresh, empty database, and the bare tool into another.
if [[ "$db" == postgres ]]; then
    restore_url=$(pg_fresh "$restore_db")
else
    restore_url="sqlite://$work/restored.db"
fi
timed restore env BASEOPS_DATABASE__URL="$restore_url" "$binary" restore "$backup_file" --force --quiet
restore_s=$elapsed
line "baseops restore --force (empty database)" "$restore_s" ""
if [[ "$db" == postgres ]]; then
    bare_url=$(pg_fresh "$bare_db")
    # The flags baseops gives pg_restore (docs/backup_restore.md), on the bare dump.
    timed pg_restore pg_restore --no-owner --exit-on-error --single-transaction --clean --if-exists \
        --dbname "$bare_url" "$work/bare.pgdump"
    bare_restore_s=$elapsed
    line "bare pg_restore (empty database)" "$bare_restore_s" ""
    restored=$(psql -Atq "$restore_url" -c "SELECT count(*) FROM leads")
    psql -q "$bench_pg_admin" -c "DROP DATABASE IF EXISTS $restore_db WITH (FORCE)" \
        -c "DROP DATABASE IF EXISTS $bare_db WITH (FORCE)"
elif [[ -z "$sqlite_reason" ]]; then
    timed sqlite_restore sqlite3 "$work/bare-restored.db" ".restore '$work/bare.sqlite'"
    bare_restore_s=$elapsed
    line "bare sqlite3 .restore (new file)" "$bare_restore_s" ""
    restored=$(sqlite3 "$work/restored.db" "SELECT count(*) FROM leads")
    rm -f "$work/bare.sqlite" "$work/bare-restored.db" "$work/restored.db"*
else
    restored=n/a
fi
printf '\nverify: %s\n' "$(tail -n 1 "$work/verify.out")"
printf 'restored leads: %s\n' "$restored"

bare_name=$([[ "$db" == postgres ]] && echo "pg_dump" || echo "sqlite3 VACUUM INTO")
bare_restore_name=$([[ "$db" == postgres ]] && echo "pg_restore" || echo "sqlite3 .restore")
if [[ -n "$bare_backup_s" ]]; then
    r=$(ratio "$bare_backup_s" "$backup_s")
    printf 'backup:  %s ÷ baseops = %s ÷ %s = %s (target ≥ 0.8: %s)\n' "$bare_name" "$bare_backup_s" \
        "$backup_s" "$r" "$(verdict "$r")"
    r=$(ratio "$bare_restore_s" "$restore_s")
    printf 'restore: %s ÷ baseops = %s ÷ %s = %s (target ≥ 0.8: %s)\n' "$bare_restore_name" \
        "$bare_restore_s" "$restore_s" "$r" "$(verdict "$r")"
else
    printf 'no comparison with bare tools: %s\n' "$sqlite_reason"
fi

# The server's latency, idle and during a backup.
bench_start "$work"
bench_token "$work" '["leads.view"]'
# shellcheck disable=SC2154  # token: set by bench_token (lib.sh)
printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$token" >"$work/get.lua"
printf '\nserver latency, GET /api/v1/leads?limit=50, %s connections, %s s each\n' "$connections" "$duration"
bench_header
idle=$(bench_wrk "idle" "/api/v1/leads?limit=50" "$work/get.lua")
printf '%s\n' "$idle"
mkdir -p "$work/backups-live"
settle
live_started=$(date +%s.%N)
(
    timeout "$step_timeout" "$binary" backup --dir "$work/backups-live" --quiet \
        >"$work/live.out" 2>"$work/live.err" &
    echo $! >"$live_pid_file"
    status=0
    wait $! || status=$?
    printf '%s %s\n' "$status" "$(since "$live_started")" >"$live_done"
) &
live_waiter=$!
during=$(bench_wrk "during a backup" "/api/v1/leads?limit=50" "$work/get.lua")
printf '%s\n' "$during"
outlasted=no
[[ -e "$live_done" ]] || outlasted=yes
wait "$live_waiter" || true
live_waiter=
read -r live_status live_s <"$live_done"
if ((live_status != 0)); then
    echo "the backup during wrk failed (exit $live_status):" >&2
    tail -n 20 "$work/live.err" >&2
    exit 1
fi
printf 'server peak RSS: %s MiB\n' "$(bench_peak_rss)"
bench_stop
# The columns from the right: requests/s p50 p99 errors.
field() { awk -v n="$2" '{ print $(NF - n) }' <<<"$1"; }
printf 'the backup under load took %s s (%s s alone); still running when wrk ended: %s\n' \
    "$live_s" "$backup_s" "$outlasted"
printf 'during ÷ idle: p50 %s ÷ %s = %s, p99 %s ÷ %s = %s, requests/s %s ÷ %s = %s\n' \
    "$(field "$during" 2)" "$(field "$idle" 2)" "$(ratio "$(field "$during" 2)" "$(field "$idle" 2)")" \
    "$(field "$during" 1)" "$(field "$idle" 1)" "$(ratio "$(field "$during" 1)" "$(field "$idle" 1)")" \
    "$(field "$during" 3)" "$(field "$idle" 3)" "$(ratio "$(field "$during" 3)" "$(field "$idle" 3)")"
