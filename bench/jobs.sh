#!/usr/bin/env bash
# Jobs per second, end to end (enqueue → done), for a trivial job, with 1 and 4 worker tasks,
# on SQLite and on PostgreSQL (BASEOPS_BENCH_DATABASE_URL, default the local server), with
# the database backend and, when Redis answers (BASEOPS_BENCH_REDIS_URL, default the local
# server), the Redis backend. Each engine runs three ways:
#   - 1 producer, one job per transaction;
#   - 8 concurrent producers, one job per transaction (as concurrent requests enqueue);
#   - 8 producers enqueueing 100 jobs per transaction with enqueue_many (a campaign send).
#
#   bench/jobs.sh            # 20,000 jobs per run
#   bench/jobs.sh 50000
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="${1:-20000}"
pg="${BASEOPS_BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
redis="${BASEOPS_BENCH_REDIS_URL:-redis://127.0.0.1:6379}"
cargo build --release --locked -p baseops-jobs --example throughput >&2
binary="${CARGO_TARGET_DIR:-$PWD/target}/release/examples/throughput"
printf 'baseops jobs · %s · %s cores · %s jobs per run\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc)" "$jobs"

reachable() { timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# run DATABASE_URL [extra options…]: the three ways, 1 and 4 tasks each.
run() {
    local url="$1"
    shift
    BASEOPS_TEST_DATABASE_URL="$url" "$binary" "$@" "$jobs" 1 1 4
    BASEOPS_TEST_DATABASE_URL="$url" "$binary" "$@" "$jobs" 8 1 4
    BASEOPS_TEST_DATABASE_URL="$url" "$binary" "$@" --batch 100 "$jobs" 8 1 4
}

# The machine's ceiling for the enqueue transaction alone on PostgreSQL (BEGIN; INSERT a job
# row; COMMIT — no notification, no worker), from pgbench with 8 clients for 10 s, on a scratch
# database with the jobs table's columns and indexes.
pg_ceiling() {
    command -v pgbench >/dev/null && command -v psql >/dev/null || return 0
    local scratch="baseops_bench_ceiling_$$" script
    psql "$pg" -qc "CREATE DATABASE $scratch" || return 0
    local url="${pg%/*}/$scratch"
    psql "$url" -q <<'SQL'
CREATE TABLE jobs (id uuid PRIMARY KEY, queue varchar(64) NOT NULL, name varchar(100) NOT NULL,
  payload text NOT NULL, priority int NOT NULL, state varchar(16) NOT NULL, attempts int NOT NULL,
  max_attempts int NOT NULL, timeout_secs int NOT NULL, run_at timestamptz NOT NULL,
  locked_until timestamptz, locked_by varchar(64), dedup_key varchar(200), last_error text,
  organization_id uuid, request_id varchar(128), created_at timestamptz NOT NULL, finished_at timestamptz);
CREATE INDEX ix_jobs_pending ON jobs (queue, priority DESC, run_at) WHERE state = 'pending';
CREATE INDEX ix_jobs_leased ON jobs (state, locked_until) WHERE state IN ('running', 'queued');
CREATE UNIQUE INDEX ux_jobs_dedup_key ON jobs (dedup_key)
  WHERE dedup_key IS NOT NULL AND state IN ('pending', 'queued', 'running');
SQL
    script="$(mktemp)"
    cat >"$script" <<'SQL'
BEGIN;
INSERT INTO jobs (id, queue, name, payload, priority, state, attempts, max_attempts, timeout_secs, run_at, created_at)
  VALUES (gen_random_uuid(), 'default', 'bench.nothing', '{"n":1}', 0, 'pending', 0, 5, 300, now(), now());
COMMIT;
SQL
    pgbench "$url" -n -M prepared -c 8 -j 2 -T 10 -f "$script" 2>/dev/null |
        awk '/^tps/ { printf "postgres     pgbench ceiling: BEGIN; INSERT; COMMIT with 8 clients, no worker: %.0f transactions/s\n", $3 }'
    rm -f "$script"
    psql "$pg" -qc "DROP DATABASE $scratch"
}

run ""
if reachable 5432; then
    pg_ceiling
    run "$pg"
else
    echo "PostgreSQL not reachable: skipped"
fi
if reachable 6379; then
    export BASEOPS_BENCH_REDIS_URL="$redis"
    run "" --backend redis
    if reachable 5432; then run "$pg" --backend redis; fi
else
    echo "Redis not reachable: Redis backend skipped"
fi
