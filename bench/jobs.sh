#!/usr/bin/env bash
# Jobs per second, end to end (enqueue → done), for a trivial job, with 1 and 4 worker tasks,
# on SQLite and on PostgreSQL (BASEOPS_BENCH_DATABASE_URL, default the local server), enqueued
# by 1 producer and by 8 concurrent producers (as concurrent requests would).
#
#   bench/jobs.sh            # 20,000 jobs per run
#   bench/jobs.sh 50000
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="${1:-20000}"
pg="${BASEOPS_BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
cargo build --release --locked -p baseops-jobs --example throughput >&2
binary="${CARGO_TARGET_DIR:-$PWD/target}/release/examples/throughput"
printf 'baseops jobs · %s · %s cores · %s jobs per run\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc)" "$jobs"
for producers in 1 8; do
    BASEOPS_TEST_DATABASE_URL= "$binary" "$jobs" "$producers" 1 4
done
if timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/5432" 2>/dev/null; then
    for producers in 1 8; do
        BASEOPS_TEST_DATABASE_URL="$pg" "$binary" "$jobs" "$producers" 1 4
    done
else
    echo "PostgreSQL not reachable: skipped"
fi
