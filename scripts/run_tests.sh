#!/usr/bin/env bash
# The test command: format check, clippy with warnings denied, the whole test suite on SQLite,
# then again on PostgreSQL when one is reachable, then the OpenAPI document through a validator;
# the full variant then fuzzes the server with Schemathesis on both databases, runs the
# admin console's browser tests (scripts/browser_tests.sh: Node.js and Debian's chromium), and
# checks the deployment: real nginx in front of the binary, the compose files, shellcheck.
#
#   scripts/run_tests.sh               # PostgreSQL when reachable, skipped (and said so) when not
#   scripts/run_tests.sh --postgres    # the full variant (CI): PostgreSQL, Redis, Python required
#   scripts/run_tests.sh --sqlite-only # skip PostgreSQL even when it is there
#
# PostgreSQL: BASEOPS_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres);
# each test creates its own database there and drops it afterwards.
# Redis: BASEOPS_TEST_REDIS_URL (default redis://127.0.0.1:6379/ when something listens there);
# the session-store tests then run against Redis, each under its own key prefix.
# Python: target/tools/venv gets openapi-spec-validator and aiosmtpd (PyPI); its python is
# exported as BASEOPS_TEST_PYTHON, which the e-mail tests use to run a real SMTP server
# (scripts/smtp_sink.py). Set BASEOPS_TEST_PYTHON yourself to use another Python with aiosmtpd.
# poppler-utils (pdftotext, pdftoppm, pdfinfo on PATH, or in BASEOPS_TEST_POPPLER): the billing
# PDF tests read the rendered text back with it.
# A test whose service is missing is skipped, and every skip is listed after its suite; with
# --postgres (the full variant) PostgreSQL, Redis, Python and poppler are required: a missing
# one fails the run (BASEOPS_TEST_REQUIRE makes the tests themselves fail too).
set -euo pipefail
cd "$(dirname "$0")/.."

postgres=auto
for arg in "$@"; do
    case "$arg" in
        --postgres) postgres=required ;;
        --sqlite-only) postgres=off ;;
        -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
        *) echo "unknown option: $arg (see --help)" >&2; exit 2 ;;
    esac
done
pg_url="${BASEOPS_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

step() { printf '\n==> %s\n' "$*"; }
started=$SECONDS

# A fresh machine has the Rust toolchain; rustfmt and clippy may still be missing components.
for component in rustfmt clippy; do
    if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
        step "installing the $component component"
        rustup component add "$component"
    fi
done

if cargo nextest --version >/dev/null 2>&1; then
    run_suite() { cargo nextest run --workspace --no-fail-fast; }
else
    echo "cargo-nextest not found: using cargo test (install it for faster runs: cargo install cargo-nextest)"
    run_suite() { cargo test --workspace --no-fail-fast; }
fi

if [[ "$postgres" == required ]]; then
    export BASEOPS_TEST_REQUIRE=redis,python,poppler
fi

# Is anything listening at the URL's host and port? (No client tools needed.)
reachable() {
    local rest host port
    rest="${1#*://}"; rest="${rest#*@}"; rest="${rest%%/*}"
    host="${rest%%:*}"; port="${rest##*:}"
    [[ "$port" == "$rest" ]] && port=$2
    timeout 3 bash -c "exec 3<>/dev/tcp/${host:-127.0.0.1}/$port" 2>/dev/null
}

redis_url="${BASEOPS_TEST_REDIS_URL-redis://127.0.0.1:6379/}"
if [[ -n "$redis_url" ]] && reachable "$redis_url" 6379; then
    export BASEOPS_TEST_REDIS_URL="$redis_url"
elif [[ "$postgres" == required ]]; then
    echo "Redis is required (--postgres) but not reachable at ${redis_url:-BASEOPS_TEST_REDIS_URL}" >&2
    exit 1
else
    unset BASEOPS_TEST_REDIS_URL
    echo "Redis not reachable: the Redis tests are skipped (and listed as such)"
fi

venv=target/tools/venv
step "Python test tools ($venv)"
if command -v python3 >/dev/null 2>&1; then
    [[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
    if ! "$venv/bin/python" -c 'import aiosmtpd, openapi_spec_validator' 2>/dev/null; then
        "$venv/bin/pip" install --quiet --disable-pip-version-check \
            'openapi-spec-validator>=0.7,<0.8' 'aiosmtpd>=1.4,<2'
    fi
    export BASEOPS_TEST_PYTHON="${BASEOPS_TEST_PYTHON:-$PWD/$venv/bin/python}"
elif [[ "$postgres" == required ]]; then
    echo "python3 is required (--postgres): the SMTP tests and the OpenAPI validation need it" >&2
    exit 1
elif [[ -z "${BASEOPS_TEST_PYTHON:-}" ]]; then
    echo "python3 not found: the SMTP tests are skipped and the OpenAPI document is not validated"
fi
if [[ -n "${BASEOPS_TEST_PYTHON:-}" ]]; then
    if ! "$BASEOPS_TEST_PYTHON" -c 'import aiosmtpd' 2>/dev/null; then
        echo "BASEOPS_TEST_PYTHON=$BASEOPS_TEST_PYTHON cannot import aiosmtpd (pip install aiosmtpd)" >&2
        exit 1
    fi
    echo "SMTP tests use $BASEOPS_TEST_PYTHON"
fi

step "format check"
cargo fmt --all -- --check

step "clippy (warnings denied)"
cargo clippy --workspace --all-targets --locked -- -D warnings

# Each suite's skipped tests (crates/test-support/src/services.rs records them) are listed
# after it, so a pass never hides a test that did not run.
export BASEOPS_TEST_SKIP_LOG="$PWD/target/test-skips.log"
suite() {
    : > "$BASEOPS_TEST_SKIP_LOG"
    run_suite
    if [[ -s "$BASEOPS_TEST_SKIP_LOG" ]]; then
        echo "skipped on $1 ($(sort -u "$BASEOPS_TEST_SKIP_LOG" | wc -l)):"
        sort -u "$BASEOPS_TEST_SKIP_LOG" | sed 's/^/    /'
    fi
}

step "tests on SQLite"
BASEOPS_TEST_DATABASE_URL='' suite SQLite

if [[ "$postgres" != off ]]; then
    if reachable "$pg_url" 5432; then
        step "tests on PostgreSQL (${pg_url%%@*}@…)"
        BASEOPS_TEST_DATABASE_URL="$pg_url" suite PostgreSQL
    elif [[ "$postgres" == required ]]; then
        echo "PostgreSQL is required (--postgres) but not reachable at BASEOPS_TEST_DATABASE_URL" >&2
        exit 1
    else
        step "PostgreSQL not reachable: PostgreSQL tests skipped (use --postgres to require them)"
    fi
fi

step "OpenAPI document validation"
cargo run --quiet --locked -p baseops -- openapi > target/openapi.json
if [[ -x "$venv/bin/openapi-spec-validator" ]]; then
    "$venv/bin/openapi-spec-validator" target/openapi.json
else
    echo "python3 not found: the OpenAPI document was generated but not validated"
fi

if [[ "$postgres" == required ]]; then
    # Every operation of the document against a real server: zero 5xx, zero panics, every
    # answer as documented (scripts/schemathesis.sh says which checks and why).
    step "Schemathesis on SQLite"
    scripts/schemathesis.sh --python "$venv/bin/python" --max-time 120
    step "Schemathesis on PostgreSQL"
    scripts/schemathesis.sh --python "$venv/bin/python" --max-time 120 --database-url "$pg_url"
    # The admin console in a real headless Chromium: every page's CSP, console and requests,
    # axe-core in both themes, the sign-in, lists, search, palette and CSRF flows
    # (tests/browser/console.mjs); screenshots in target/browser/.
    step "browser tests"
    scripts/browser_tests.sh
    # The deployment's pieces, for real where this machine can run them: Debian's nginx with
    # the project's configuration in front of `baseops serve` (TLS, HTTP/2, SSE, limits, client
    # IP), the compose files through the Compose parser, every shell script through shellcheck.
    step "nginx in front of baseops"
    scripts/nginx_test.sh
    step "docker-compose.yml"
    scripts/compose_check.sh
    step "shellcheck"
    scripts/shellcheck.sh
fi

step "all checks passed in $((SECONDS - started)) s"
