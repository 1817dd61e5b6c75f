#!/usr/bin/env bash
# Deploys a new baseops image with docker compose, one service at a time, and rolls back to
# the image that ran before when the new one does not come up healthy.
#
#   scripts/deploy.sh                      # build the image from this checkout (tag: git revision)
#   scripts/deploy.sh --pull --tag registry.example.com/baseops:1.4.0
#   scripts/deploy.sh --dry-run            # print the commands, run none
#
# Options:
#   --build            build the image from this checkout (the default)
#   --pull             pull the image named by --tag instead of building it
#   --tag IMAGE        the image to deploy (default with --build: baseops:<git short revision>)
#   --file FILE        the compose file (default docker-compose.yml; never the dev override)
#   --timeout SECS     how long each service may take to become healthy (default 120)
#   --dry-run          print each command instead of running it
#
# Steps: remember the image web runs now (tagged baseops:rollback) → pull or build the new one →
# `migrate` as a one-shot container (a failure stops here: web and worker were not touched) →
# web, then worker, each `up -d --no-deps --wait` (compose waits for the image's HEALTHCHECK on
# web, for "running" on worker) → on a failure, web and worker go back to baseops:rollback.
# Migrations are additive within a release (docs/deployment.md), so the previous image runs
# on the new schema. With one web container, requests see nginx's 503 for the seconds between
# the old container's stop and the new one's health; run two web containers to avoid it.
# Exit 0 deployed, 1 failed (rolled back when it got that far), 2 wrong usage.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=build
image=""
compose_file=docker-compose.yml
timeout=120
dry_run=false
rollback_image=baseops:rollback

usage() { sed -n '2,25p' "$0"; }
while [[ $# -gt 0 ]]; do
    case "$1" in
        --build) mode=build ;;
        --pull) mode=pull ;;
        --tag) [[ $# -ge 2 ]] || { echo "deploy.sh: --tag needs an image" >&2; exit 2; }; image=$2; shift ;;
        --file) [[ $# -ge 2 ]] || { echo "deploy.sh: --file needs a file" >&2; exit 2; }; compose_file=$2; shift ;;
        --timeout)
            [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || { echo "deploy.sh: --timeout needs a number of seconds" >&2; exit 2; }
            timeout=$2; shift ;;
        --dry-run) dry_run=true ;;
        -h|--help) usage; exit 0 ;;
        *) echo "deploy.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
if [[ "$mode" == pull && -z "$image" ]]; then
    echo "deploy.sh: --pull needs --tag IMAGE (the image to pull)" >&2
    exit 2
fi
if [[ -z "$image" ]]; then
    revision=$(git rev-parse --short HEAD 2>/dev/null || date -u +%Y%m%d%H%M%S)
    image="baseops:$revision"
fi
[[ -f "$compose_file" || "$dry_run" == true ]] || { echo "deploy.sh: no compose file $compose_file" >&2; exit 2; }

# Runs a command, or prints it (shell-quoted) on a dry run.
run() {
    if [[ "$dry_run" == true ]]; then
        printf '+'
        printf ' %q' "$@"
        printf '\n'
    else
        "$@"
    fi
}
# docker compose on the production file with APP_IMAGE set, which every baseops service uses.
compose_with() {
    local app_image=$1
    shift
    run env APP_IMAGE="$app_image" docker compose -f "$compose_file" "$@"
}
step() { printf '==> %s\n' "$*"; }

step "remembering the running image as $rollback_image"
have_rollback=false
if [[ "$dry_run" == true ]]; then
    run docker compose -f "$compose_file" ps -q web
    run docker tag "<image of that container>" "$rollback_image"
    have_rollback=true
else
    container=$(docker compose -f "$compose_file" ps -q web | head -n 1)
    if [[ -n "$container" ]]; then
        docker tag "$(docker inspect --format '{{.Image}}' "$container")" "$rollback_image"
        have_rollback=true
    else
        echo "no running web container: a failure cannot be rolled back (first deployment?)"
    fi
fi

if [[ "$mode" == pull ]]; then
    step "pulling $image"
    compose_with "$image" pull migrate web worker
else
    step "building $image"
    compose_with "$image" build migrate
fi

step "migrating"
if ! compose_with "$image" run --rm migrate; then
    echo "deploy.sh: the migration failed; web and worker still run the previous image" >&2
    exit 1
fi

rollback() {
    echo "deploy.sh: $1 did not become healthy within ${timeout}s" >&2
    if [[ "$have_rollback" != true ]]; then
        echo "deploy.sh: nothing to roll back to; see docker compose logs $1" >&2
        exit 1
    fi
    step "rolling back web and worker to $rollback_image"
    compose_with "$rollback_image" up -d --no-deps --wait --wait-timeout "$timeout" web worker \
        || echo "deploy.sh: the rollback did not come up healthy either: act now (docker compose logs)" >&2
    exit 1
}

for service in web worker; do
    step "rolling $service to $image"
    compose_with "$image" up -d --no-deps --wait --wait-timeout "$timeout" "$service" || rollback "$service"
done

step "checking web's health once more"
run docker compose -f "$compose_file" exec -T web baseops healthcheck || rollback web
step "deployed $image"
