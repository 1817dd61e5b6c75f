#!/usr/bin/env bash
# The billing run: N subscriptions due at once (seeded with `baseops demo-data
# subscriptions`), renewed by `baseops billing renew` into N finalized, numbered invoices —
# each with its ledger entry, audit records and events, one transaction per subscription, as
# the worker's renewal job does. Prints the renewals per second (target on PostgreSQL: at
# least 500/s for 10,000), then checks a second run renews nothing and `billing verify`
# agrees with every figure.
#
#   bench/billing.sh                        # SQLite, 10,000 subscriptions
#   bench/billing.sh --db postgres          # PostgreSQL at BASEOPS_BENCH_DATABASE_URL
#   bench/billing.sh --count 50000
#
# PDF rendering is measured by bench/pdf.sh. Shared pieces: bench/lib.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

db=sqlite count=10000
while (($#)); do
    case "$1" in
        --db) db="$2"; shift 2 ;;
        --count) count="$2"; shift 2 ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done

bench_build
work=$(mktemp -d)
cleanup() {
    bench_drop_database
    rm -rf "$work"
}
trap cleanup EXIT

printf '\nbaseops %s · billing run · %s · %s · %s cores\n' \
    "$("$binary" version | cut -d' ' -f2)" "$db" "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc)"
bench_database "$db" "$work"
bench_env
bench_superuser "$work"
started=$(date +%s.%N)
(cd "$work" && "$binary" demo-data subscriptions --org bench --count "$count" >/dev/null)
seeded=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
printf '%s subscriptions due (seeded in %s s)\n' "$count" "$seeded"
if [[ -x /usr/bin/time ]]; then
    (cd "$work" && /usr/bin/time -f 'peak RSS of the run: %M KiB' "$binary" billing renew)
else
    (cd "$work" && "$binary" billing renew)
fi
second=$(cd "$work" && "$binary" billing renew)
[[ "$second" == "billing renew: 0 periods renewed"* ]] || { echo "a second run renewed again: $second" >&2; exit 1; }
echo "second run: nothing renewed again"
(cd "$work" && "$binary" billing verify | tail -n 1)
