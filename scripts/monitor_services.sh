#!/usr/bin/env bash
# Checks the services baseops needs, one line each: "OK <check>: …" on stdout, or
# "FAIL <check>: …" on stderr; the exit code is the number of failures (0 healthy, at most 125).
# Made for cron: with `>/dev/null` only failures are printed, so cron mails only those.
#
#   scripts/monitor_services.sh
#   */5 * * * * cd /srv/baseops && scripts/monitor_services.sh >/dev/null
#
# Settings (environment variables, default in brackets); an empty value skips that check:
#   MONITOR_BASEOPS       the baseops command, words split on spaces [baseops]; on the compose
#                         stack e.g. "docker compose -f docker-compose.yml exec -T worker baseops".
#                         It runs `healthcheck` and `jobs list`, so it needs the BASEOPS_*
#                         settings (database URL) that command would need
#   MONITOR_WEB_URL       the server's health URL [http://127.0.0.1:8000/healthz]; probed with
#                         `baseops healthcheck --url`, or curl when MONITOR_BASEOPS is empty
#   MONITOR_JOBS          1 to check the job queue through `baseops jobs list` [1]
#   MONITOR_MAX_JOB_WAIT  seconds a due job may wait before the worker counts as not working [300]
#   MONITOR_MAX_PENDING   most pending jobs before the queue counts as backed up [1000]
#   MONITOR_MAX_DEAD      most dead jobs tolerated (each is a lost e-mail or task) [0]
#   MONITOR_PG_HOST, MONITOR_PG_PORT   PostgreSQL for pg_isready [127.0.0.1, 5432]
#   MONITOR_REDIS_HOST, MONITOR_REDIS_PORT   Redis for `redis-cli ping` [127.0.0.1, 6379];
#                         a password goes in REDISCLI_AUTH, which redis-cli reads
#   MONITOR_DATA_DIR      the data volume's directory [/var/lib/baseops, or ./data when missing]
#   MONITOR_MIN_FREE_PCT  least free disk space on it, in percent [10]
#   MONITOR_TIMEOUT       seconds each check may take [5]
set -uo pipefail

read -r -a baseops <<< "${MONITOR_BASEOPS-baseops}"
web_url=${MONITOR_WEB_URL-http://127.0.0.1:8000/healthz}
check_jobs=${MONITOR_JOBS-1}
max_job_wait=${MONITOR_MAX_JOB_WAIT:-300}
max_pending=${MONITOR_MAX_PENDING:-1000}
max_dead=${MONITOR_MAX_DEAD:-0}
pg_host=${MONITOR_PG_HOST-127.0.0.1}
pg_port=${MONITOR_PG_PORT:-5432}
redis_host=${MONITOR_REDIS_HOST-127.0.0.1}
redis_port=${MONITOR_REDIS_PORT:-6379}
data_dir=${MONITOR_DATA_DIR:-}
if [[ -z "$data_dir" ]]; then
    if [[ -d /var/lib/baseops ]]; then data_dir=/var/lib/baseops; else data_dir=./data; fi
fi
min_free_pct=${MONITOR_MIN_FREE_PCT:-10}
limit=${MONITOR_TIMEOUT:-5}

failures=0
ok() { printf 'OK   %s: %s\n' "$1" "$2"; }
fail() { printf 'FAIL %s: %s\n' "$1" "$2" >&2; failures=$((failures + 1)); }
skip() { printf 'SKIP %s: %s\n' "$1" "$2"; }
# A command's output on one line, for a message.
one_line() { tr '\n' ' ' | sed 's/  */ /g; s/ $//' | cut -c1-200; }

check_web() {
    [[ -n "$web_url" ]] || { skip web "MONITOR_WEB_URL is empty"; return; }
    local out
    if [[ ${#baseops[@]} -gt 0 ]]; then
        if out=$(timeout $((limit + 2)) "${baseops[@]}" healthcheck --url "$web_url" --timeout "$limit" 2>&1); then
            ok web "$web_url answers 200"
        else
            fail web "$(one_line <<< "${out:-no answer from $web_url}")"
        fi
    elif out=$(curl -fsS -o /dev/null --max-time "$limit" "$web_url" 2>&1); then
        ok web "$web_url answers 2xx"
    else
        fail web "$web_url: $(one_line <<< "$out")"
    fi
}

check_worker() {
    [[ "$check_jobs" == 1 && ${#baseops[@]} -gt 0 ]] || { skip worker "MONITOR_JOBS is not 1 or MONITOR_BASEOPS is empty"; return; }
    local listing depth now oldest run_at when pending dead
    listing=$(mktemp) || { fail worker "cannot create a temporary file"; return; }
    if ! timeout $((limit * 3)) "${baseops[@]}" jobs list --state pending --limit 500 >"$listing" 2>"$listing.err"; then
        fail worker "baseops jobs list failed: $(one_line < "$listing.err")"
        rm -f "$listing" "$listing.err"
        return
    fi
    # stderr ends with "pending N, queued N, running N, dead N" (the queue's depth).
    depth=$(grep -E '^pending [0-9]+' "$listing.err" | tail -n 1)
    pending=$(sed -E 's/^pending ([0-9]+).*/\1/' <<< "$depth")
    dead=$(sed -E 's/.*dead ([0-9]+).*/\1/' <<< "$depth")
    # The oldest job that is due (run at in the past): if it has waited long, no worker takes jobs.
    now=$(date -u +%s)
    oldest=$now
    while read -r _ _ _ _ run_at _; do
        when=$(date -u -d "$run_at" +%s 2>/dev/null) || continue
        (( when <= now && when < oldest )) && oldest=$when
    done < <(tail -n +2 "$listing")
    rm -f "$listing" "$listing.err"
    if [[ -z "$depth" ]]; then
        fail worker "baseops jobs list printed no queue depth"
        return
    fi
    if (( now - oldest > max_job_wait )); then
        fail worker "a due job has waited $((now - oldest)) s (over $max_job_wait): is a worker running? ($depth)"
    elif (( pending > max_pending )); then
        fail worker "$pending jobs pending (over $max_pending): workers do not keep up ($depth)"
    elif (( dead > max_dead )); then
        fail worker "$dead dead jobs (over $max_dead): baseops jobs list --state dead ($depth)"
    else
        ok worker "$depth; no due job waited over $max_job_wait s"
    fi
}

check_postgres() {
    [[ -n "$pg_host" ]] || { skip postgres "MONITOR_PG_HOST is empty"; return; }
    local out
    if out=$(pg_isready -h "$pg_host" -p "$pg_port" -t "$limit" 2>&1); then
        ok postgres "$out"
    else
        fail postgres "$(one_line <<< "${out:-pg_isready failed}")"
    fi
}

check_redis() {
    [[ -n "$redis_host" ]] || { skip redis "MONITOR_REDIS_HOST is empty"; return; }
    local out
    out=$(timeout "$limit" redis-cli -h "$redis_host" -p "$redis_port" ping 2>&1)
    if [[ "$out" == PONG ]]; then
        ok redis "$redis_host:$redis_port answers PONG"
    else
        fail redis "$redis_host:$redis_port: $(one_line <<< "${out:-no answer}")"
    fi
}

check_disk() {
    local available size free_pct
    if ! read -r size available < <(df -P "$data_dir" 2>/dev/null | awk 'NR == 2 { print $2, $4 }') || [[ -z "$size" ]]; then
        fail disk "cannot read the free space of $data_dir"
        return
    fi
    free_pct=$(( available * 100 / size ))
    if (( free_pct < min_free_pct )); then
        fail disk "$data_dir has $free_pct % free ($((available / 1024)) MiB), under $min_free_pct %"
    else
        ok disk "$data_dir has $free_pct % free ($((available / 1024)) MiB)"
    fi
}

check_web
check_worker
check_postgres
check_redis
check_disk
exit $(( failures > 125 ? 125 : failures ))
