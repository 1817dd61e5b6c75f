#!/usr/bin/env bash
# The leads app — our headline comparison — at 10 thousand and 1 million leads in one
# organization: for each size, a fresh database seeded with `baseops demo-data leads`
# (multi-row inserts), then wrk drives three endpoints against `baseops serve` with a bearer
# token (authentication and RBAC on every request):
#
#   list    GET  /api/v1/leads?limit=50    the default list, a page of 50
#   detail  GET  /api/v1/leads/<id>        one lead
#   create  POST /api/v1/leads             a new lead (audit record, lead.created event)
#
# and prints requests/s, p50/p99, errors, the server's peak RSS, the seeding time and the
# ratio p50(list, largest)/p50(list, smallest) (target ≤ 1.5).
#
# On PostgreSQL it then runs pgbench with a script made of the very statements one API
# create executes in its transaction — captured from the PostgreSQL log (log_statement=all)
# of a real create — at the same concurrency, and prints API creates/s ÷ pgbench tps
# (target ≥ 0.7): how close the API comes to the database's own limit.
#
# It also drives creates at 16 connections besides wrk's 64 (one organization's write rate
# must not fall as connections grow), and on PostgreSQL runs pgbench at 64 clients and at
# the pool's size (the same comparison for the database alone).
#
# With --baseline REV it builds REV too (in a temporary worktree, target/bench-baseline) and
# measures both binaries in this one run, baseline first, then prints what changed: lead
# detail requests/s after / before, creates/s / pgbench at the pool's size, creates at 64
# connections / at 16, pgbench at 64 / at the pool's size.
#
#   bench/leads.sh                          # SQLite, 10,000 and 1,000,000 leads, 10 s per endpoint
#   bench/leads.sh --db postgres            # PostgreSQL at BASEOPS_BENCH_DATABASE_URL
#   bench/leads.sh --sizes 1000,50000 --duration 5
#   bench/leads.sh --db postgres --sizes 10000 --baseline 97f62d7   # before/after in one run
#
# Traffic goes to 127.0.0.1 only. Shared pieces: bench/lib.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

ratio() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

db=sqlite sizes=10000,1000000 baseline=
while (($#)); do
    case "$1" in
        --db) db="$2"; shift 2 ;;
        --baseline) baseline="$2"; shift 2 ;;
        --sizes) sizes="$2"; shift 2 ;;
        --duration) duration="$2"; shift 2 ;;
        --connections) connections="$2"; shift 2 ;;
        -h|--help) sed -n '2,34p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done
IFS=, read -r -a counts <<<"$sizes"

bench_ensure_wrk
bench_build
# Private copies: the shared target directory may be rebuilt by someone else mid-run.
binary_dir=$(mktemp -d)
cp "$binary" "$binary_dir/current"
declare -A binaries=([current]="$binary_dir/current")
labels=(current)
if [[ -n "$baseline" ]]; then
    # The baseline's own checkout and target directory, so neither build disturbs the other.
    rev=$(git rev-parse --verify "$baseline^{commit}")
    git worktree add --detach "$binary_dir/src" "$rev" >/dev/null 2>&1
    (cd "$binary_dir/src" && CARGO_TARGET_DIR="$OLDPWD/target/bench-baseline" \
        cargo build --release --locked -p baseops >&2)
    cp "$PWD/target/bench-baseline/release/baseops" "$binary_dir/baseline"
    git worktree remove --force "$binary_dir/src"
    binaries[baseline]="$binary_dir/baseline"
    labels=(baseline current)
fi
work=
cleanup() {
    bench_stop
    bench_drop_database
    [[ -n "$work" ]] && rm -rf "$work"
    rm -rf "$binary_dir"
}
trap cleanup EXIT

create_body='{"first_name": "Bench", "last_name": "Lead", "email": "bench@example.com", "company": "Bench Co", "source": "web_form", "value_amount": 250000}'

# The statements of one API create, as PostgreSQL logged them, turned into a pgbench script:
# new rows get fresh time-ordered ids (as the API's UUIDv7); an audit insert that carries a
# seq (a binary from before decision 0012, which chained in the writer's transaction) takes
# the seq and previous hash its chain update returned (\gset); everything else is as logged.
pgbench_script() {
    local log=$1 out=$2
    python3 - "$log" "$out" <<'PY'
import re, sys
lines = open(sys.argv[1], encoding="utf-8", errors="replace").read().splitlines()
entries = []  # (pid, kind, text)
for line in lines:
    m = re.match(r"^\S+ \S+ \S+ \[(\d+)\] \S+ (LOG|DETAIL):\s+(.*)$", line)
    if m:
        entries.append([m.group(1), m.group(2), m.group(3)])
    elif entries:
        entries[-1][2] += "\n" + line
pid = next(p for p, kind, text in entries if kind == "LOG" and 'INSERT INTO "leads"' in text)
statements, current = [], None
for p, kind, text in entries:
    if p != pid:
        continue
    if kind == "LOG":
        sql = re.sub(r"^(statement|execute [^:]+):\s*", "", text)
        current = [sql, {}]
        statements.append(current)
    elif kind == "DETAIL" and text.startswith("parameters:") and current:
        for name, value in re.findall(r"\$(\d+) = (NULL|'(?:[^']|'')*')", text):
            current[1][int(name)] = value
begin = next(i for i, (sql, _) in enumerate(statements) if sql.strip() == "BEGIN")
end = next(i for i, (sql, _) in enumerate(statements) if sql.strip() == "COMMIT" and i > begin)
script = []
for sql, params in statements[begin:end + 1]:
    fresh_id = re.match(r'\s*INSERT INTO "?(leads|events|jobs|audit_events)"? ', sql) is not None
    audit = 'INSERT INTO "audit_events"' in sql and '"seq"' in sql
    def value(match):
        n = int(match.group(1))
        if n == 1 and fresh_id:
            return "bench_uuid7()"
        if audit and n == 3:
            return ":seq"
        if audit and n == 15:
            return ":hash"
        literal = params.get(n, "NULL")
        if ":" in literal and literal.startswith("'"):
            # pgbench reads ':name' as a variable: spell colons as an escape instead.
            literal = "E'" + literal[1:-1].replace("\\", "\\\\").replace(":", "\\x3a") + "'"
        return literal
    sql = re.sub(r"\$(\d+)", value, sql)
    sql = " ".join(sql.split())
    if sql.startswith('UPDATE "audit_chains" SET "seq"'):
        sql += " \\gset"
    script.append(sql + ("" if sql.endswith("\\gset") else ";"))
open(sys.argv[2], "w").write("\n".join(script) + "\n")
PY
}

declare -A list_p50 detail_rps create_rps create16_rps pg_tps
for label in "${labels[@]}"; do
binary=${binaries[$label]}
printf '\n%s: baseops %s · leads · %s · %s · %s connections, %s threads, %s s per endpoint · %s cores\n' \
    "$label" "$("$binary" version | cut -d' ' -f2)" "$db" "$(date -u +%Y-%m-%dT%H:%MZ)" "$connections" \
    "$threads" "$duration" "$(nproc)"
for count in "${counts[@]}"; do
    work=$(mktemp -d)
    bench_database "$db" "$work"
    bench_env
    bench_superuser "$work"
    started=$(date +%s.%N)
    (cd "$work" && "$binary" demo-data leads --org bench --count "$count" >/dev/null 2>&1)
    seeded=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    if [[ "$db" == postgres ]]; then
        psql -q "$database_url" -c "ANALYZE"
        # Every statement of every session from now on is logged, to capture one create.
        psql -q "$bench_pg_admin" -c "ALTER DATABASE $bench_pg_db SET log_statement = 'all'"
    fi
    bench_start "$work"
    bench_token "$work" '["leads.view", "leads.create"]'
    auth="wrk.headers[\"Authorization\"] = \"Bearer $token\""
    printf '%s\n' "$auth" >"$work/get.lua"
    printf '%s\nwrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = %s\n' \
        "$auth" "$(python3 -c 'import json, sys; print(json.dumps(sys.argv[1]))' "$create_body")" >"$work/create.lua"
    lead_id=$(curl -fs -H "Authorization: Bearer $token" "$base/api/v1/leads?limit=1" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["items"][0]["id"])')
    if [[ "$db" == postgres ]]; then
        # shellcheck disable=SC2012  # Debian's log names are plain: postgresql-15-main.log
        pg_log=$(ls -t /var/log/postgresql/postgresql-*.log | head -1)
        before=$(wc -l <"$pg_log")
        curl -fs -o /dev/null -H "Authorization: Bearer $token" -H 'content-type: application/json' \
            -d "$create_body" "$base/api/v1/leads"
        sleep 0.5
        tail -n +"$((before + 1))" "$pg_log" >"$work/capture.log"
        psql -q "$bench_pg_admin" -c "ALTER DATABASE $bench_pg_db RESET log_statement"
        # New pool connections must not log: restart the server.
        bench_stop
        bench_start "$work"
        pgbench_script "$work/capture.log" "$work/create.sql"
    fi

    printf '\n%s leads (seeded in %s s)\n' "$count" "$seeded"
    bench_header
    bench_wrk "list ?limit=50" "/api/v1/leads?limit=50" "$work/get.lua"
    list_p50[$label:$count]=$last_p50
    detail_out=$(bench_wrk "detail" "/api/v1/leads/$lead_id" "$work/get.lua")
    printf '%s\n' "$detail_out"
    detail_rps[$label:$count]=$(awk '{ print $2 }' <<<"$detail_out")
    create_out=$(bench_wrk "create" "/api/v1/leads" "$work/create.lua")
    printf '%s\n' "$create_out"
    create_rps[$label:$count]=$(awk '{ print $2 }' <<<"$create_out")
    create16_out=$(bench_wrk "create, 16 connections" "/api/v1/leads" "$work/create.lua" 16)
    printf '%s\n' "$create16_out"
    create16_rps[$label:$count]=$(awk '{ print $4 }' <<<"$create16_out")
    printf 'server peak RSS: %s MiB\n' "$(bench_peak_rss)"
    bench_stop
    if [[ "$db" == postgres ]]; then
        psql -q "$database_url" -c "CREATE OR REPLACE FUNCTION bench_uuid7() RETURNS uuid LANGUAGE sql VOLATILE AS \$\$
            SELECT (lpad(to_hex(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') || '7'
                || substr(md5(random()::text), 1, 3) || '8' || substr(md5(random()::text), 1, 15))::uuid \$\$"
        # The same concurrency as wrk, then as many clients as the server's pool has
        # connections (before decision 0012, 64 clients queued on the audit chain's row lock,
        # which the server's pool spared PostgreSQL).
        pool=${BASEOPS_DATABASE__MAX_CONNECTIONS:-10}
        for clients in "$connections" "$pool"; do
            # What the clients' backends wait on, sampled every 200 ms: a hot row shows as Lock
            # waits; CPU (no wait) means PostgreSQL itself is the limit.
            (for _ in $(seq 1 $((duration * 5))); do
                psql -qAt "$database_url" -c "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') FROM pg_stat_activity
                    WHERE datname = current_database() AND application_name = 'pgbench' AND state = 'active'"
                sleep 0.2
            done >"$work/waits") &
            sampler=$!
            tps=$(pgbench -n -M prepared -c "$clients" -j "$threads" -T "$duration" -f "$work/create.sql" \
                "$database_url" 2>&1 | awk '/^tps = / { print $3; exit }')
            wait "$sampler" || true
            printf 'pgbench, the create transaction (%s statements), %s clients: %s tps\n' \
                "$(grep -c . "$work/create.sql")" "$clients" "$tps"
            printf '  its backends, sampled: %s\n' "$(sort "$work/waits" | uniq -c | sort -rn |
                awk '{ total += $1; n[NR] = $1; w[NR] = $2 } END { for (i = 1; i <= NR && i <= 6; i++) printf "%s %.0f%%  ", w[i], 100 * n[i] / total }')"
            pg_tps[$label:$count:$clients]=$tps
            printf 'API creates/s ÷ pgbench tps (%s clients): %s (target ≥ 0.7)\n' "$clients" \
                "$(ratio "${create_rps[$label:$count]}" "$tps")"
        done
        cp "$work/create.sql" "${TMPDIR:-/tmp}/leads-create-$count.pgbench.sql"
    fi
    bench_drop_database
    rm -rf "$work"
    work=
done
first=${counts[0]} last=${counts[-1]}
printf '\n%s: list p50 ratio %s/%s leads: %s (target ≤ 1.5)\n' "$label" "$last" "$first" \
    "$(ratio "${list_p50[$label:$last]}" "${list_p50[$label:$first]}")"
done

pool=${BASEOPS_DATABASE__MAX_CONNECTIONS:-10}
for count in "${counts[@]}"; do
    printf '\n%s leads, current build\n' "$count"
    printf '  creates/s at %s connections ÷ at 16: %s (target ≥ 1)\n' "$connections" \
        "$(ratio "${create_rps[current:$count]}" "${create16_rps[current:$count]}")"
    if [[ "$db" == postgres ]]; then
        printf '  pgbench of the create at %s clients ÷ at %s: %s (target ≥ 1)\n' "$connections" "$pool" \
            "$(ratio "${pg_tps[current:$count:$connections]}" "${pg_tps[current:$count:$pool]}")"
        printf '  API creates/s ÷ pgbench tps at %s clients (the pool): %s (target ≥ 0.7)\n' "$pool" \
            "$(ratio "${create_rps[current:$count]}" "${pg_tps[current:$count:$pool]}")"
    fi
    if [[ -n "$baseline" ]]; then
        printf '  lead detail requests/s, current ÷ baseline %s: %s ÷ %s = %s (target ≥ 2)\n' "$baseline" \
            "${detail_rps[current:$count]}" "${detail_rps[baseline:$count]}" \
            "$(ratio "${detail_rps[current:$count]}" "${detail_rps[baseline:$count]}")"
        printf '  creates/s, current ÷ baseline: %s ÷ %s = %s\n' "${create_rps[current:$count]}" \
            "${create_rps[baseline:$count]}" "$(ratio "${create_rps[current:$count]}" "${create_rps[baseline:$count]}")"
        if [[ "$db" == postgres ]]; then
            printf '  baseline: API creates/s ÷ pgbench at %s clients: %s; pgbench at %s ÷ at %s clients: %s\n' \
                "$pool" "$(ratio "${create_rps[baseline:$count]}" "${pg_tps[baseline:$count:$pool]}")" \
                "$connections" "$pool" \
                "$(ratio "${pg_tps[baseline:$count:$connections]}" "${pg_tps[baseline:$count:$pool]}")"
        fi
    fi
done
