#!/usr/bin/env bash
# Browser tests of the admin console (tests/browser/console.mjs): a real headless Chromium,
# driven by playwright-core, against a running `baseops serve`; axe-core on every page in the
# light and dark themes; screenshots to target/browser/<page>-<theme>.png. It ends with the
# staff story (tests/browser/story.mjs): the admin turns two-factor login on, invites a sales
# user who follows the e-mailed link (the server writes mail as .eml files to an outbox that
# the browser script reads, CONSOLE_OUTBOX), that user's lead and task, what a manager and a
# viewer see.
#
#   scripts/browser_tests.sh
#
# Installs what it lacks: Debian's chromium (apt-get, as root) when /usr/bin/chromium is missing
# — never a browser download of Playwright's own —, and tests/browser/node_modules (`npm ci`,
# scripts ignored) when absent or older than the lockfile; node and npm must be there. Builds
# target/debug/baseops, starts it on a free loopback port in a temporary directory on SQLite,
# creates a superuser and an all-scopes API token with the CLI, runs the browser script (which
# seeds leads and tasks through the JSON API), stops the server. The server and the browser
# together get BROWSER_TESTS_TIMEOUT seconds (default 240, the staff story included: about 130
# are used); installing and building are not counted (a failed build is retried, see below).
# Exit 0 only when every check passed and the server did not panic.
set -euo pipefail
cd "$(dirname "$0")/.."

limit="${BROWSER_TESTS_TIMEOUT:-240}"
chromium=/usr/bin/chromium
browser_dir=tests/browser
shots="$PWD/target/browser"

as_root() {
    if [[ $EUID -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "installing needs root: run as root or install chromium yourself" >&2
        return 1
    fi
}

for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "$tool is required (Debian: apt-get install nodejs npm)" >&2
        exit 1
    fi
done

if [[ ! -x "$chromium" ]]; then
    echo "installing chromium (Debian package)"
    export DEBIAN_FRONTEND=noninteractive
    if ! as_root timeout 900 apt-get install -y -qq chromium >/dev/null; then
        as_root timeout 300 apt-get update -qq >/dev/null
        as_root timeout 900 apt-get install -y -qq chromium >/dev/null
    fi
fi

# node_modules is stale when npm's record of what it installed is older than the lockfile.
if [[ ! -f "$browser_dir/node_modules/.package-lock.json" \
    || "$browser_dir/package-lock.json" -nt "$browser_dir/node_modules/.package-lock.json" \
    || "$browser_dir/package.json" -nt "$browser_dir/node_modules/.package-lock.json" ]]; then
    echo "installing the browser test packages (npm ci in $browser_dir)"
    (cd "$browser_dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 300 \
        npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi

# The tree is shared: a build that fails because someone's code is mid-edit is tried again
# after a minute, up to BROWSER_TESTS_BUILD_TRIES times (default 10).
tries="${BROWSER_TESTS_BUILD_TRIES:-10}"
for try in $(seq 1 "$tries"); do
    if cargo build --quiet -p baseops; then
        break
    fi
    if ((try == tries)); then
        echo "cargo build -p baseops failed $tries times" >&2
        exit 1
    fi
    echo "cargo build -p baseops failed (try $try of $tries): trying again in 60 s" >&2
    sleep 60
done
binary="$PWD/target/debug/baseops"
mkdir -p "$shots"

started=$SECONDS
deadline=$((SECONDS + limit))
remaining() {
    local left=$((deadline - SECONDS))
    ((left > 0)) || left=1
    echo "$left"
}

work="$(mktemp -d)"
server_pid=""
# shellcheck disable=SC2317  # run by the EXIT trap, which ShellCheck 0.9 does not follow
cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/data"
export BASEOPS_CONFIG_DIR="$PWD/config" BASEOPS_DATABASE__URL="sqlite://$work/data/baseops.db?mode=rwc" \
    BASEOPS_LOG__FILES=false

email=admin@example.com
password=amber-falcon-42-river
# The CLI's logs go to a file, shown only when a step fails.
setup_failed() {
    echo "setting up the server failed:" >&2
    tail -n 40 "$work/setup.log" >&2
    exit 1
}
(cd "$work" && timeout "$(remaining)" "$binary" migrate >/dev/null 2>>"$work/setup.log") || setup_failed
(cd "$work" && CONSOLE_ADMIN_PASSWORD="$password" timeout "$(remaining)" "$binary" createsuperuser \
    --email "$email" --organization Acme --password-env CONSOLE_ADMIN_PASSWORD \
    >/dev/null 2>>"$work/setup.log") || setup_failed
token="$(cd "$work" && timeout "$(remaining)" "$binary" tokens create --email "$email" --organization acme \
    --name browser-tests --all-scopes 2>>"$work/setup.log")" || setup_failed

port="$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')"
base="http://127.0.0.1:$port"
# E-mail goes to .eml files in the outbox (sent by the worker `serve` runs in dev), and its
# links point at this server.
outbox="$work/outbox"
(cd "$work" && BASEOPS_EMAIL__BACKEND=file BASEOPS_EMAIL__FILE_DIR="$outbox" BASEOPS_SERVER__PUBLIC_URL="$base" \
    exec "$binary" serve --bind "127.0.0.1:$port" >"$work/serve.log" 2>&1) &
server_pid=$!

server_log() {
    echo "--- the server's log (last 40 lines) ---" >&2
    tail -n 40 "$work/serve.log" >&2 || true
}

if ! timeout 60 node -e '
const url = process.argv[1] + "/healthz";
const until = Date.now() + 30000;
(async () => {
    while (Date.now() < until) {
        try { if ((await fetch(url)).ok) process.exit(0); } catch {}
        await new Promise((r) => setTimeout(r, 100));
    }
    process.exit(1);
})();' "$base"; then
    echo "serve did not answer $base/healthz within 30 s" >&2
    server_log
    exit 1
fi

status=0
node_limit=$(($(remaining) - 5))
((node_limit >= 10)) || node_limit=10
(cd "$browser_dir" && CONSOLE_URL="$base" CONSOLE_EMAIL="$email" CONSOLE_PASSWORD="$password" \
    CONSOLE_TOKEN="$token" CONSOLE_SCREENSHOTS="$shots" CONSOLE_CHROMIUM="$chromium" CONSOLE_OUTBOX="$outbox" \
    CONSOLE_TIME_LIMIT_MS=$((node_limit * 1000)) \
    timeout --kill-after=10 "$(remaining)" node console.mjs) || status=$?
if ((status == 124)); then
    echo "the browser tests did not finish within ${limit} s" >&2
fi
if grep -q "panicked" "$work/serve.log"; then
    echo "the server panicked:" >&2
    grep -A3 "panicked" "$work/serve.log" >&2
    status=1
fi
echo "browser tests: $((SECONDS - started)) s with the server (limit ${limit} s), $SECONDS s in all"
if ((status != 0)); then
    server_log
    echo "browser tests failed; screenshots in $shots" >&2
fi
exit "$status"
