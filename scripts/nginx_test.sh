#!/usr/bin/env bash
# The project's nginx configuration (docker/nginx/) with a real nginx (Debian's) in front of a
# real `baseops serve`, all on loopback, checked the way a browser and an attacker meet it:
#
#   TLS with a certificate from make_dev_cert.sh (verified, not skipped), HTTP/2, HSTS once,
#   HTTP → HTTPS redirect, unknown names refused in the handshake, API calls through it
#   (session login, CSRF-protected write, bearer token), the live notification stream arriving
#   unbuffered (its first event within 1 s), nginx's own 413 above a route's limit (and none
#   below the upload routes' larger ones), 429 from limit_req on sign-in, gzip on JSON but not
#   on the event stream, immutable caching of a hashed console asset, /metrics closed at the
#   edge, and the client's address (127.0.0.2, with a forged X-Forwarded-For) in the audit
#   record. Then `baseops healthcheck` and the image's entrypoint as an unprivileged user.
#
#   scripts/nginx_test.sh                       # builds target/debug/baseops first
#   BASEOPS_BIN=target/release/baseops scripts/nginx_test.sh
#
# Installs Debian's nginx (and curl, openssl, gettext-base, python3) when missing. Ports: 18080,
# 18443 and 18000 on 127.0.0.1 (NGINX_TEST_PORT_BASE=N uses N+80, N+443 and N). Everything
# runs in a temporary directory that is removed, with every process it started, on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
started=$SECONDS

apt_updated=false
install() {
    echo "installing $* (Debian packages)"
    if [[ "$apt_updated" == false ]]; then
        apt-get update -qq >/dev/null
        apt_updated=true
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
need() {
    local command=$1
    shift
    command -v "$command" >/dev/null 2>&1 || install "$@"
}
# nginx is /usr/sbin/nginx, outside a non-root PATH.
[[ -x /usr/sbin/nginx ]] || install nginx
need curl curl
need openssl openssl
need envsubst gettext-base
need python3 python3
need shellcheck shellcheck
nginx=/usr/sbin/nginx

base=${NGINX_TEST_PORT_BASE:-18000}
app_port=$base
http_port=$((base + 80))
https_port=$((base + 443))
name=baseops.test

failures=0
checks=0
pass() { checks=$((checks + 1)); printf '  ok    %s\n' "$*"; }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); printf '  FAIL  %s\n' "$*" >&2; }
# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
    local description=$1
    shift
    if "$@"; then pass "$description"; else fail "$description"; fi
}
die() { echo "nginx_test: $*" >&2; exit 1; }

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
for port in "$app_port" "$http_port" "$https_port"; do
    port_open "$port" && die "port $port on 127.0.0.1 is in use (set NGINX_TEST_PORT_BASE)"
done

if [[ -n "${BASEOPS_BIN:-}" ]]; then
    bin=$(realpath "$BASEOPS_BIN")
else
    echo "building baseops (debug)"
    cargo build --quiet --locked -p baseops
    bin=$repo/target/debug/baseops
fi
[[ -x "$bin" ]] || die "no baseops binary at $bin"

tmp=$(mktemp -d -t baseops-nginx-test.XXXXXX)
baseops_pid=
nginx_pid=
stream_pid=
cleanup() {
    local status=$?
    # The pid file too: should nginx ever be started through a wrapper, its master still goes.
    if [[ -s "$tmp/nginx/nginx.pid" ]]; then
        kill "$(cat "$tmp/nginx/nginx.pid")" 2>/dev/null || true
    fi
    for pid in "$stream_pid" "$nginx_pid" "$baseops_pid"; do
        if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; fi
    done
    for pid in "$stream_pid" "$nginx_pid" "$baseops_pid"; do
        if [[ -n "$pid" ]]; then wait "$pid" 2>/dev/null || true; fi
    done
    if [[ $status -ne 0 && -d "$tmp" ]]; then
        echo "--- baseops log (last 30 lines)" >&2
        tail -n 30 "$tmp/baseops.log" >&2 2>/dev/null || true
        echo "--- nginx error log (last 30 lines)" >&2
        tail -n 30 "$tmp/nginx/log/error.log" >&2 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# nginx and the probes run as an unprivileged user when this runs as root (CI does): the
# configuration must not depend on root, and neither must `baseops healthcheck`.
# setpriv execs what it runs, so `$!` of a backgrounded one is that process's own id.
if [[ $(id -u) -eq 0 ]]; then
    unprivileged=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
    user_note="as uid 65534 (nobody)"
else
    unprivileged=()
    user_note="as uid $(id -u)"
fi
as_user() { "${unprivileged[@]}" "$@"; }
chmod 0755 "$tmp"
mkdir -m 0700 "$tmp/app"
mkdir -p "$tmp/nginx/conf.d" "$tmp/nginx/log" "$tmp/nginx/cache" "$tmp/ssl" "$tmp/bin"

# --- the certificate -------------------------------------------------------------------------
docker/nginx/ssl/make_dev_cert.sh "$tmp/ssl" "$name" >/dev/null

# --- baseops ---------------------------------------------------------------------------------
# A clean environment: nothing of the caller's BASEOPS_* or .env leaks in. Development
# settings (the first start creates an administrator), on a fresh SQLite file, believing
# X-Forwarded-For from nginx's address only.
app_env=(
    env -i "PATH=$PATH" "HOME=$tmp/app"
    "BASEOPS_CONFIG_DIR=$repo/config"
    "BASEOPS_ENV=dev"
    "BASEOPS_DATABASE__URL=sqlite://$tmp/app/baseops.db"
    "BASEOPS_SERVER__BIND=127.0.0.1:$app_port"
    "BASEOPS_SERVER__PUBLIC_URL=https://$name:$https_port"
    "BASEOPS_SERVER__ALLOWED_HOSTS=[$name]"
    "BASEOPS_SERVER__TRUSTED_PROXIES=[127.0.0.1]"
    "BASEOPS_LOG__FILES=false"
    "BASEOPS_LOG__LEVEL=warn"
)
(cd "$tmp/app" && exec "${app_env[@]}" "$bin" serve) >"$tmp/baseops.log" 2>&1 &
baseops_pid=$!
for _ in $(seq 1 150); do
    curl -s -o /dev/null --max-time 1 -H "Host: $name" "http://127.0.0.1:$app_port/healthz" && break
    kill -0 "$baseops_pid" 2>/dev/null || die "baseops serve exited"
    sleep 0.2
done
admin_file=$tmp/app/first-admin.txt
for _ in $(seq 1 50); do [[ -s "$admin_file" ]] && break; sleep 0.1; done
[[ -s "$admin_file" ]] || die "the first start wrote no $admin_file"
admin_email=$(grep -Eo '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+' "$admin_file" | head -n1)
admin_password=$(sed -n 's/^password: *//Ip' "$admin_file" | head -n1)
[[ -n "$admin_email" && -n "$admin_password" ]] || die "cannot read the administrator from $admin_file"

# --- nginx -----------------------------------------------------------------------------------
# The project's nginx.conf with only its paths moved into the temporary directory (and no
# `user`, which only root may use); the site template rendered as the nginx image would.
conf=$tmp/nginx/nginx.conf
sed -e '/^user /d' \
    -e "s#/var/run/nginx.pid#$tmp/nginx/nginx.pid#" \
    -e "s#/var/log/nginx/#$tmp/nginx/log/#g" \
    -e "s#/var/cache/nginx/#$tmp/nginx/cache/#g" \
    docker/nginx/nginx.conf >"$conf"
if grep -v '^ *#' "$conf" | grep -nE '/var/(run|log|cache)/|^user '; then
    die "docker/nginx/nginx.conf has a path this script does not move (see its header)"
fi
cp /etc/nginx/mime.types "$tmp/nginx/mime.types"
export NGINX_SERVER_NAME=$name
export NGINX_UPSTREAM=127.0.0.1:$app_port
export NGINX_HTTP_LISTEN=127.0.0.1:$http_port
export NGINX_HTTPS_LISTEN=127.0.0.1:$https_port
export NGINX_SSL_CERTIFICATE=$tmp/ssl/fullchain.pem
export NGINX_SSL_CERTIFICATE_KEY=$tmp/ssl/privkey.pem
export NGINX_ATTACHMENT_MAX_BODY=10304k
export NGINX_IMPORT_MAX_BODY=20736k
# Only these names: every other $word in the template is nginx's own variable.
# shellcheck disable=SC2016
envsubst '${NGINX_SERVER_NAME} ${NGINX_UPSTREAM} ${NGINX_HTTP_LISTEN} ${NGINX_HTTPS_LISTEN} ${NGINX_SSL_CERTIFICATE} ${NGINX_SSL_CERTIFICATE_KEY} ${NGINX_ATTACHMENT_MAX_BODY} ${NGINX_IMPORT_MAX_BODY}' \
    <docker/nginx/templates/default.conf.template >"$tmp/nginx/conf.d/default.conf"
# shellcheck disable=SC2016  # a literal ${NGINX_ left in the output
grep -n '\${NGINX_' "$tmp/nginx/conf.d/default.conf" && die "the template names a variable this script does not set"
[[ $(id -u) -eq 0 ]] && chown -R 65534:65534 "$tmp/nginx" "$tmp/ssl"

nginx_args=(-p "$tmp/nginx" -c "$conf" -e "$tmp/nginx/log/error.log")
if ! as_user "$nginx" -t -q "${nginx_args[@]}" 2>"$tmp/nginx-t.log"; then
    cat "$tmp/nginx-t.log" >&2
    die "nginx -t refused the configuration"
fi
"${unprivileged[@]}" "$nginx" "${nginx_args[@]}" -g 'daemon off;' &
nginx_pid=$!
for _ in $(seq 1 50); do port_open "$https_port" && break; sleep 0.1; done
port_open "$https_port" || die "nginx did not listen on $https_port"
echo "baseops $("$bin" version | cut -d' ' -f2) behind nginx $("$nginx" -v 2>&1 | cut -d/ -f2) ($user_note) on https://$name:$https_port"

# --- the checks ------------------------------------------------------------------------------
origin=https://$name:$https_port
tls=(--cacert "$tmp/ssl/fullchain.pem" --resolve "$name:$https_port:127.0.0.1" --resolve "$name:$http_port:127.0.0.1")
# Every request comes from 127.0.0.2: the address the audit record must show.
c() { curl -sS --max-time 10 --interface 127.0.0.2 "${tls[@]}" "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
header() { { grep -i "^$1:" || true; } | head -n1 | cut -d: -f2- | tr -d '\r' | sed 's/^ *//'; }

echo "TLS and HTTP/2"
out=$(c -o /dev/null -w '%{http_version} %{http_code} %{ssl_verify_result}' "$origin/healthz" || true)
check "verified TLS with the make_dev_cert.sh certificate, HTTP/2, 200 (got: $out)" test "$out" = "2 200 0"
out=$(c --tlsv1.2 --tls-max 1.2 -o /dev/null -w '%{http_code}' "$origin/healthz" || true)
check "TLS 1.2 with an intermediate cipher still served (got: $out)" test "$out" = 200
if curl -sS --max-time 5 --tls-max 1.1 --tlsv1.0 -k "${tls[@]}" -o /dev/null "$origin/healthz" 2>/dev/null; then
    fail "TLS 1.1 is refused"
else
    pass "TLS 1.1 is refused"
fi
headers=$(c -D - -o /dev/null "$origin/healthz")
hsts=$(grep -ci '^strict-transport-security: max-age=63072000' <<<"$headers" || true)
check "exactly one HSTS header of two years (got $hsts)" test "$hsts" = 1
out=$(curl -sS --max-time 5 "${tls[@]}" -o /dev/null -w '%{http_code} %{redirect_url}' "http://$name:$http_port/admin?x=1" || true)
check "HTTP redirects to HTTPS on the configured name (got: $out)" test "$out" = "301 https://$name/admin?x=1"
if curl -sS --max-time 5 -k --resolve "other.test:$https_port:127.0.0.1" -o /dev/null "https://other.test:$https_port/" 2>/dev/null; then
    fail "a TLS handshake for another name is rejected"
else
    pass "a TLS handshake for another name is rejected"
fi

echo "API through nginx"
jar=$tmp/cookies
login=$(c -c "$jar" -H 'Content-Type: application/json' -H 'X-Forwarded-For: 203.0.113.7' \
    -d "{\"email\":\"$admin_email\",\"password\":\"$admin_password\"}" "$origin/api/v1/auth/login")
csrf=$(json 'd["csrf_token"]' <<<"$login" 2>/dev/null || true)
check "session login over HTTP/2 answers a CSRF token" test -n "$csrf"
me=$(c -b "$jar" "$origin/api/v1/me" | json 'd["user"]["email"] if "user" in d else d.get("email")' 2>/dev/null || true)
check "GET /api/v1/me with the session cookie (got: $me)" test "$me" = "$admin_email"
created=$(c -b "$jar" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' -H 'X-Forwarded-For: 203.0.113.7' \
    -d '{"name":"nginx-test","scopes":["audit.view"]}' "$origin/api/v1/tokens")
token=$(json 'd["token"]' <<<"$created" 2>/dev/null || true)
check "a CSRF-protected write (POST /api/v1/tokens) succeeds" test -n "$token"

echo "client address"
ips=$(c -H "Authorization: Bearer $token" "$origin/api/v1/audit/events?action=token.create&limit=5" \
    | json '" ".join(str(e.get("ip")) for e in d["items"])' 2>/dev/null || true)
check "the audit record of that write has the client's address 127.0.0.2, not the forged one (got: $ips)" \
    test "$ips" = 127.0.0.2

echo "live notifications"
stream_out=$tmp/stream.out
stream_started=$(date +%s%N)
c -N -b "$jar" -H 'Accept: text/event-stream' -H 'Accept-Encoding: gzip' -D "$tmp/stream.headers" \
    --max-time 20 "$origin/api/v1/notifications/stream" >"$stream_out" 2>/dev/null &
stream_pid=$!
arrived=
for _ in $(seq 1 100); do
    if grep -q '^event: unread' "$stream_out" 2>/dev/null; then
        arrived=$((($(date +%s%N) - stream_started) / 1000000))
        break
    fi
    sleep 0.02
done
check "the stream's first event arrives through nginx within 1 s (${arrived:-no event} ms)" \
    test -n "$arrived" -a "${arrived:-9999}" -lt 1000
check "the stream is still open (nginx neither buffered nor closed it)" kill -0 "$stream_pid"
encoding=$(header content-encoding <"$tmp/stream.headers")
type=$(header content-type <"$tmp/stream.headers")
check "the event stream is not compressed (Content-Type: ${type:-no headers yet}, Content-Encoding: ${encoding:-none})" \
    test "$type" = text/event-stream -a -z "$encoding"
kill "$stream_pid" 2>/dev/null || true
wait "$stream_pid" 2>/dev/null || true
stream_pid=

echo "compression and caching"
headers=$(c -H 'Accept-Encoding: gzip' -D - -o "$tmp/openapi.gz" "$origin/api/openapi.json")
check "JSON is gzipped by nginx (Content-Encoding: $(header content-encoding <<<"$headers"))" \
    test "$(header content-encoding <<<"$headers")" = gzip
check "the gzipped JSON decompresses to the document" python3 -c \
    "import gzip,json,sys; json.loads(gzip.open(sys.argv[1]).read())" "$tmp/openapi.gz"
asset=$(c "$origin/admin/login" | grep -Eo '/admin/assets/console\.[0-9a-f]{10}\.css' | head -n1 || true)
check "the sign-in page links a hashed asset (${asset:-none})" test -n "$asset"
if [[ -n "$asset" ]]; then
    for round in first second; do
        headers=$(c -D - -o /dev/null -H 'Accept-Encoding: gzip' "$origin$asset")
        cache=$(header cache-control <<<"$headers")
        check "$round fetch of the asset: $cache" \
            grep -q 'max-age=31536000.*immutable' <<<"$cache"
    done
    cached=$(find "$tmp/nginx/cache/baseops_assets" -type f | wc -l)
    check "nginx keeps the asset in its cache ($cached file(s))" test "$cached" -ge 1
fi
status=$(c -o /dev/null -w '%{http_code}' "$origin/metrics")
check "/metrics is closed at the edge (got $status)" test "$status" = 404

echo "body limits"
head -c $((3 * 1024 * 1024)) /dev/zero | tr '\0' 'a' >"$tmp/3mib"
head -c $((11 * 1024 * 1024)) /dev/zero | tr '\0' 'a' >"$tmp/11mib"
out=$(c -H "Authorization: Bearer $token" -H 'Content-Type: application/json' --data-binary @"$tmp/3mib" \
    -o "$tmp/413.body" -w '%{http_code}' "$origin/api/v1/leads")
check "3 MiB to an ordinary route: 413 (got $out)" test "$out" = 413
check "… answered by nginx, as problem+json" grep -q 'client_max_body_size' "$tmp/413.body"
out=$(c -H "Authorization: Bearer $token" -F "file=@$tmp/3mib;type=text/csv" \
    -o "$tmp/import.body" -w '%{http_code}' "$origin/api/v1/leads/imports")
check "3 MiB to the lead import route passes nginx (baseops answered $out)" \
    bash -c "! grep -q client_max_body_size '$tmp/import.body'"
out=$(c -H "Authorization: Bearer $token" -F "file=@$tmp/11mib;type=text/plain" \
    -o "$tmp/attach.body" -w '%{http_code}' "$origin/api/v1/tasks/00000000-0000-0000-0000-000000000000/attachments")
check "11 MiB to an attachment route (10 MiB limit): nginx's 413 (got $out)" \
    grep -q client_max_body_size "$tmp/attach.body"

echo "sign-in rate limit"
codes=()
for _ in $(seq 1 20); do
    codes+=("$(curl -sS --max-time 5 --interface 127.0.0.3 "${tls[@]}" -o "$tmp/limit.body" -w '%{http_code}' \
        -H 'Content-Type: application/json' -d '{}' "$origin/api/v1/auth/login")")
done
limited=$(grep -o 429 <<<"${codes[*]}" | wc -l)
check "the first attempts reach baseops (${codes[0]}), later ones get 429 ($limited of 20: ${codes[*]})" \
    test "${codes[0]}" != 429 -a "$limited" -ge 5
check "… from nginx's limit_req, as problem+json" grep -q '"code":"rate_limited"' "$tmp/limit.body"
status=$(c -o /dev/null -w '%{http_code}' "$origin/admin/login")
check "another address is not limited (GET /admin/login from 127.0.0.2: $status)" test "$status" = 200

echo "the binary as an unprivileged user ($user_note)"
# Copies in the world-readable temporary directory: the checkout may sit where that user
# cannot read (CI clones under root's home), and the image has them outside /root too.
cp "$bin" "$tmp/bin/baseops"
cp -r config "$tmp/config"
cp docker/entrypoint.sh "$tmp/bin/docker-entrypoint.sh"
probe_env=(env -i "PATH=$PATH" "BASEOPS_CONFIG_DIR=$tmp/config" "BASEOPS_ENV=prod"
    "BASEOPS_SERVER__BIND=0.0.0.0:$app_port" "BASEOPS_SERVER__ALLOWED_HOSTS=[$name]"
    "BASEOPS_SERVER__PUBLIC_URL=https://$name" "BASEOPS_LOG__FILES=false")
check "baseops healthcheck: 0 against the running server (prod settings, no secrets, 0.0.0.0 bind)" \
    as_user "${probe_env[@]}" "$tmp/bin/baseops" healthcheck
secrets=$tmp/secrets
mkdir -p "$secrets"
printf '%s\n' 'a-secret-key-read-from-a-file-by-the-entrypoint-0123456789' >"$secrets/BASEOPS_SECRET_KEY"
printf '%s\n' "sqlite://$tmp/app/baseops.db" >"$secrets/BASEOPS_DATABASE__URL"
[[ $(id -u) -eq 0 ]] && chown -R 65534:65534 "$secrets"
entrypoint() { as_user "${probe_env[@]}" "PATH=$tmp/bin:$PATH" "SECRETS_DIR=$1" sh "$tmp/bin/docker-entrypoint.sh" check >/dev/null 2>&1; }
check "docker/entrypoint.sh turns secret files into variables and runs baseops (check, prod)" entrypoint "$secrets"
if entrypoint "$tmp/none"; then
    fail "… and without those files the same command fails (missing secrets)"
else
    pass "… and without those files the same command fails (missing secrets)"
fi
kill "$baseops_pid"
wait "$baseops_pid" 2>/dev/null || true
baseops_pid=
if out=$(as_user "${probe_env[@]}" "$tmp/bin/baseops" healthcheck 2>&1) || [[ $out != unhealthy:* ]]; then
    fail "baseops healthcheck: non-zero with its reason once the server stopped (got: $out)"
else
    pass "baseops healthcheck: non-zero with its reason once the server stopped ($out)"
fi

echo
echo "nginx_test: $checks checks in $((SECONDS - started)) s"
echo "nginx_test: $((checks - failures)) passed, $failures failed"
[[ $failures -eq 0 ]]
