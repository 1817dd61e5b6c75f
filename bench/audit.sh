#!/usr/bin/env bash
# The audit trail's write path on PostgreSQL: how one organization's write rate grows with
# clients. pgbench runs a simplified create transaction in a single organization —
#
#   BEGIN; INSERT a row into a scratch table; the audit record; COMMIT;
#
# with the audit record written two ways, on the schema each needs:
#
#   chained   as `record()` did before sealing was split off (decision 0012): advance the
#             chain head (UPDATE audit_chains … RETURNING), INSERT the chained event, set the
#             head's hash. The head row stays locked until COMMIT.
#   unsealed  as `record()` does now: one INSERT with seq, prev_hash and hash left NULL.
#
# at 10 and 64 clients (-M prepared, -j 2, --duration s each), and prints tps per run. With
# --sealer the unsealed runs happen with the sealer running beside them
# (apps/audit/examples/sealer.rs, release build), which then verifies the trail and says how
# many events it had not sealed yet when stopped.
#
#   bench/audit.sh                       # 10 s per run, without the sealer
#   bench/audit.sh --sealer              # also the unsealed runs with the sealer running
#   bench/audit.sh --duration 30 --clients 10,32,64
#
# The audit tables come from `baseops migrate` (BENCH_BINARY, or a release build), in a
# scratch database at BASEOPS_BENCH_DATABASE_URL's server that is dropped at the end. The
# chained runs first put back the columns' NOT NULL and drop the sealer's index: the schema
# before migration audit_0002. Shared pieces: bench/lib.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

sealer=false clients=10,64
while (($#)); do
    case "$1" in
        --sealer) sealer=true; shift ;;
        --clients) clients="$2"; shift 2 ;;
        --duration) duration="$2"; shift 2 ;;
        -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done
IFS=, read -r -a client_counts <<<"$clients"

bench_build
if $sealer; then
    cargo build --release --locked -p baseops-audit --example sealer >&2
    sealer_binary="${CARGO_TARGET_DIR:-$PWD/target}/release/examples/sealer"
fi
work=$(mktemp -d)
sealer_pid=
cleanup() {
    [[ -n "$sealer_pid" ]] && kill -TERM "$sealer_pid" 2>/dev/null && wait "$sealer_pid" 2>/dev/null
    bench_drop_database
    rm -rf "$work"
}
trap cleanup EXIT

bench_database postgres "$work"
bench_env
(cd "$work" && "$binary" migrate >/dev/null)
organization=0190f3c2-0000-7000-8000-000000000001
psql -q "$database_url" <<'SQL'
CREATE TABLE bench_records (id uuid PRIMARY KEY, organization_id uuid NOT NULL, name text NOT NULL,
    created_at timestamptz NOT NULL);
-- A UUIDv7 as the application makes them: time-ordered, so inserts go to the right of the index.
CREATE FUNCTION bench_uuid7() RETURNS uuid LANGUAGE sql VOLATILE AS $$
    SELECT (lpad(to_hex(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') || '7'
        || substr(md5(random()::text), 1, 3) || '8' || substr(md5(random()::text), 1, 15))::uuid $$;
-- `created_at` and `changes` as `record()` stores them (pgbench would read their colons as
-- variables if they were written inline).
CREATE FUNCTION bench_now_text() RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') $$;
CREATE FUNCTION bench_changes() RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT '{"name":{"after":"Bench lead"}}' $$;
-- The hash the application computes; any 64 hex digits cost PostgreSQL the same.
CREATE FUNCTION bench_hash() RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT encode(sha256(random()::text::bytea), 'hex') $$;
SQL

scratch_insert="INSERT INTO bench_records (id, organization_id, name, created_at) VALUES (bench_uuid7(), '$organization', 'Bench lead', now());"
audit_values="'$organization', 'user', '0190f3c2-0000-7000-8000-0000000000aa', 'lead.create', 'lead', 'bench', bench_changes(), '127.0.0.1', 'pgbench', 'bench-request', bench_now_text()"
cat >"$work/chained.sql" <<SQL
BEGIN;
$scratch_insert
UPDATE audit_chains SET seq = seq + 1 WHERE chain = '$organization' RETURNING seq, hash AS prev_hash \gset
INSERT INTO audit_events (id, chain, seq, organization_id, actor_type, actor_id, action, entity_type, entity_id, changes, ip, user_agent, request_id, created_at, prev_hash, hash) VALUES (bench_uuid7(), '$organization', :seq, $audit_values, :prev_hash, bench_hash()) RETURNING hash \gset
UPDATE audit_chains SET hash = :hash WHERE chain = '$organization';
COMMIT;
SQL
cat >"$work/unsealed.sql" <<SQL
BEGIN;
$scratch_insert
INSERT INTO audit_events (id, chain, organization_id, actor_type, actor_id, action, entity_type, entity_id, changes, ip, user_agent, request_id, created_at) VALUES (bench_uuid7(), '$organization', $audit_values);
COMMIT;
SQL

# Empty tables and a fresh chain head before each run, so runs compare alike.
reset_tables() {
    psql -q "$database_url" -c "TRUNCATE bench_records, audit_events, audit_chains" \
        -c "INSERT INTO audit_chains (chain, seq, hash) VALUES ('$organization', 0, repeat('0', 64))" \
        -c "VACUUM ANALYZE" -c "CHECKPOINT"
}

run() {
    local name=$1 script=$2 count=$3 out
    reset_tables
    out=$(pgbench -n -M prepared -c "$count" -j "$threads" -T "$duration" -f "$script" "$database_url" 2>&1)
    printf '%-22s %8s %10s %12s\n' "$name" "$count" "$(awk '/^tps = / { printf "%.0f", $3; exit }' <<<"$out")" \
        "$(awk '/^latency average/ { print $4; exit }' <<<"$out")"
}

printf '\nbaseops %s · audit write path · PostgreSQL %s · %s s per run · %s cores\n' \
    "$("$binary" version | cut -d' ' -f2)" "$(psql -Atq "$database_url" -c 'SHOW server_version' | cut -d' ' -f1)" \
    "$duration" "$(nproc)"
printf '%-22s %8s %10s %12s\n' path clients tps latency_ms

psql -q "$database_url" -c "DROP INDEX audit_events_unsealed_idx" \
    -c "ALTER TABLE audit_events ALTER COLUMN seq SET NOT NULL, ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN hash SET NOT NULL"
for count in "${client_counts[@]}"; do run chained "$work/chained.sql" "$count"; done

psql -q "$database_url" \
    -c "ALTER TABLE audit_events ALTER COLUMN seq DROP NOT NULL, ALTER COLUMN prev_hash DROP NOT NULL, ALTER COLUMN hash DROP NOT NULL" \
    -c "CREATE INDEX audit_events_unsealed_idx ON audit_events (id) WHERE seq IS NULL"
for count in "${client_counts[@]}"; do run unsealed "$work/unsealed.sql" "$count"; done

if $sealer; then
    for count in "${client_counts[@]}"; do
        reset_tables
        "$sealer_binary" "$database_url" >"$work/sealer.out" 2>&1 &
        sealer_pid=$!
        out=$(pgbench -n -M prepared -c "$count" -j "$threads" -T "$duration" -f "$work/unsealed.sql" "$database_url" 2>&1)
        kill -TERM "$sealer_pid" && wait "$sealer_pid"
        sealer_pid=
        # The sealer's report: how many events it sealed (all verified intact) and what it
        # had not reached yet when stopped, right after pgbench.
        printf '%-22s %8s %10s %12s   %s; %s; %s warning(s)\n' "unsealed + sealer" "$count" \
            "$(awk '/^tps = / { printf "%.0f", $3; exit }' <<<"$out")" \
            "$(awk '/^latency average/ { print $4; exit }' <<<"$out")" \
            "$(grep -o '^audit trail [A-Za-z]*: .* event(s) checked' "$work/sealer.out" || echo 'no report')" \
            "$(grep '^sealing:' "$work/sealer.out" || true)" "$(grep -c WARN "$work/sealer.out" || true)"
    done
fi
