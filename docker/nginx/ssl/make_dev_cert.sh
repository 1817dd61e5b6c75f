#!/usr/bin/env bash
# Makes a self-signed certificate for development and tests: an ECDSA P-256 key and a
# certificate for the given names (and 127.0.0.1, ::1), under the file names certbot uses, so
# that the nginx configuration is the same with a real certificate.
#
#   docker/nginx/ssl/make_dev_cert.sh [DIR] [NAME...]
#   docker/nginx/ssl/make_dev_cert.sh docker/nginx/ssl localhost ops.localhost
#
# DIR defaults to this script's directory, NAME to localhost. Writes DIR/fullchain.pem and
# DIR/privkey.pem (mode 0600); an existing pair is replaced. Browsers will warn: trust
# fullchain.pem (curl --cacert, or your system store) rather than skipping verification.
set -euo pipefail

dir=${1:-$(dirname "$0")}
shift || true
names=("$@")
[[ ${#names[@]} -gt 0 ]] || names=(localhost)

command -v openssl >/dev/null || { echo "make_dev_cert.sh: openssl is required (apt-get install openssl)" >&2; exit 1; }
mkdir -p "$dir"

san="IP:127.0.0.1,IP:::1"
for name in "${names[@]}"; do
    if [[ ! $name =~ ^[A-Za-z0-9.*-]+$ ]]; then
        echo "make_dev_cert.sh: $name is not a host name" >&2
        exit 2
    fi
    san="DNS:$name,$san"
done

key="$dir/privkey.pem"
cert="$dir/fullchain.pem"
# The key is written with no group or world access from its first byte.
(umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$key.tmp" 2>/dev/null)
# 397 days: the longest validity browsers accept for a server certificate.
openssl req -x509 -new -key "$key.tmp" -out "$cert.tmp" -days 397 -sha256 \
    -subj "/CN=${names[0]}/O=baseops development" \
    -addext "subjectAltName=$san" \
    -addext "basicConstraints=critical,CA:FALSE" \
    -addext "keyUsage=critical,digitalSignature" \
    -addext "extendedKeyUsage=serverAuth" 2>/dev/null
mv "$key.tmp" "$key"
mv "$cert.tmp" "$cert"
echo "wrote $cert and $key for ${names[*]}"
