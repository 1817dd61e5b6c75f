#!/usr/bin/env bash
# Creates the secret files docker-compose.yml mounts, with random values, consistent with each
# other (the database URLs carry the passwords PostgreSQL and Redis are set up with).
#
#   docker/make_secrets.sh [DIR]        # DIR defaults to secrets/ beside docker-compose.yml
#
# Files that exist are kept: running it again never changes a password a database already
# has. The directory is 0700 (nobody else on the host can list or read it); the files are 0444
# because compose mounts them as they are, and the containers read them as their own
# non-root users (baseops 10001, postgres 999, redis 999).
set -euo pipefail

dir=${1:-"$(cd "$(dirname "$0")/.." && pwd)/secrets"}
mkdir -p "$dir"
chmod 0700 "$dir"

random() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }

# write NAME VALUE: only when NAME does not exist yet.
write() {
    local file="$dir/$1"
    if [[ -e "$file" ]]; then
        echo "kept    $file"
        return
    fi
    printf '%s\n' "$2" > "$file.tmp"
    chmod 0444 "$file.tmp"
    mv "$file.tmp" "$file"
    echo "created $file"
}

# read_or_make NAME: the existing value, or a new random one written now.
read_or_make() {
    [[ -e "$dir/$1" ]] || write "$1" "$(random)" >&2
    head -n1 "$dir/$1"
}

write secret_key "$(random)"
write postgres_password "$(random)"
owner=$(read_or_make postgres_owner_password)
app=$(read_or_make postgres_app_password)
redis=$(read_or_make redis_password)
# Hex passwords need no percent-encoding in a URL.
write database_url_owner "postgres://baseops_owner:$owner@db:5432/baseops"
write database_url_app "postgres://baseops_app:$app@db:5432/baseops"
write redis_url "redis://:$redis@redis:6379/0"
