#!/usr/bin/env bash
# Schemathesis (PyPI) over the whole OpenAPI document of a real `baseops serve`: every
# operation, every check (server errors, status codes, content types, response schemas,
# negative and positive data), with an all-permissions token, bounded in time.
#
#   scripts/schemathesis.sh [--database-url URL] [--max-time SECONDS] [--python PYTHON] [--positive]
#
# Every check gates, but one: `positive_data_acceptance` (a request the schema allows must
# succeed) also flags what no schema can say — an owner who must be a member, a stage that
# must exist — so it runs only with --positive, to list what is left (bench/RESULTS.md).
#
# Starts its own server on a free loopback port in a temporary directory (SQLite unless a
# URL is given: then a fresh database is created on that PostgreSQL server and dropped
# after), creates a superuser, an organization and a token with `baseops tokens create`,
# runs `st run`, stops the server. Exit 0 only when Schemathesis found nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

database_url=""
max_time=180
positive=false
python="${BASEOPS_TEST_PYTHON:-target/tools/venv/bin/python}"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --database-url) database_url="$2"; shift 2 ;;
        --max-time) max_time="$2"; shift 2 ;;
        --python) python="$2"; shift 2 ;;
        --positive) positive=true; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

st="$(dirname "$python")/st"
if [[ ! -x "$st" ]]; then
    "$python" -m pip install --quiet --disable-pip-version-check 'schemathesis>=4.32,<5'
fi
cargo build --quiet -p baseops
binary="$PWD/target/debug/baseops"

work="$(mktemp -d)"
server_pid=""
created_db=""
# shellcheck disable=SC2317  # called by the trap below, which shellcheck 0.9 does not see
cleanup() {
    [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    if [[ -n "$created_db" ]]; then
        psql "$database_url" -qc "DROP DATABASE IF EXISTS $created_db WITH (FORCE)" >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

if [[ -n "$database_url" ]]; then
    created_db="baseops_st_$$"
    psql "$database_url" -qc "CREATE DATABASE $created_db" >/dev/null
    url="${database_url%/*}/$created_db"
else
    mkdir -p "$work/data"
    url="sqlite://$work/data/baseops.db?mode=rwc"
fi
export BASEOPS_CONFIG_DIR="$PWD/config" BASEOPS_DATABASE__URL="$url" BASEOPS_LOG__FILES=false
# The fuzzer logs in with wrong passwords by design; its lock-outs must not stop the run.
export BASEOPS_AUTH__LOCKOUT_SECS=1

(cd "$work" && "$binary" migrate >/dev/null)
(cd "$work" && ST_PASSWORD=violet-harbor-77-lamp "$binary" createsuperuser --email ops@example.com \
    --organization Acme --password-env ST_PASSWORD >/dev/null)
token="$(cd "$work" && "$binary" tokens create --email ops@example.com --organization acme \
    --name schemathesis --all-scopes 2>/dev/null)"

port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
(cd "$work" && exec "$binary" serve --bind "127.0.0.1:$port" >"$work/serve.log" 2>&1) &
server_pid=$!
"$python" - "$port" <<'PY'
import sys, time, urllib.request
for _ in range(300):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=1)
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("serve did not answer /healthz within 30 s")
PY

# One worker: CPython 3.11 keeps the AST builder's recursion depth in per-interpreter state,
# so Hypothesis describing strategies on two threads at once fails at random with
# "AST constructor recursion depth mismatch" (python/cpython#106905), a false alarm.
# Operations that end the fuzzer's own credentials or organization are left out: they work,
# and afterwards every request would be a 401.
checks=(--checks all)
[[ "$positive" == true ]] || checks+=(--exclude-checks positive_data_acceptance)
status=0
export SCHEMATHESIS_HOOKS=baseops_hooks PYTHONPATH="$PWD/scripts/schemathesis${PYTHONPATH:+:$PYTHONPATH}"
"$st" --config-file scripts/schemathesis/schemathesis.toml run "http://127.0.0.1:$port/api/openapi.json" \
    --header "Authorization: Bearer $token" \
    "${checks[@]}" \
    --phases examples,coverage,fuzzing \
    --max-time "$max_time" \
    --workers 1 \
    --request-timeout 10 \
    --continue-on-failure \
    --exclude-operation-id tokens_revoke \
    --exclude-operation-id members_deactivate_user \
    --exclude-operation-id organizations_delete \
    --exclude-operation-id auth_logout \
    --exclude-operation-id auth_logout_everywhere \
    --exclude-operation-id me_change_password \
    --no-color || status=$?
if grep -q "panicked" "$work/serve.log"; then
    echo "the server panicked:" >&2
    grep -A3 "panicked" "$work/serve.log" >&2
    status=1
fi
exit "$status"
