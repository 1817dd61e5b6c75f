#!/usr/bin/env bash
# Writes a backup with `baseops backup`, verifies it with `baseops backup verify`, and prints
# its path: the wrapper cron runs. Retention (keep the newest backup of each of the last
# backup.keep_daily days and backup.keep_weekly ISO weeks) is applied by `baseops backup`.
#
#   scripts/backup_db.sh                         # to backup.dir (default data/backups)
#   scripts/backup_db.sh --dir /srv/backups --keep-daily 14 --keep-weekly 8
#   17 3 * * * cd /srv/baseops && scripts/backup_db.sh --quiet >/dev/null
#
# Every argument goes to `baseops backup`. Settings: BASEOPS_* as for any command (the
# database URL); BACKUP_BASEOPS is the baseops command, words split on spaces [baseops];
# BACKUP_VERIFY=0 skips the verification [1]. PostgreSQL needs pg_dump and pg_restore of the
# server's major version on PATH.
# Exit 0 written and verified; 6 written but verification found a difference; else
# `baseops backup`'s code. See docs/backup_restore.md.
set -euo pipefail

read -r -a baseops <<< "${BACKUP_BASEOPS-baseops}"
verify=${BACKUP_VERIFY-1}

file=$("${baseops[@]}" backup "$@")
if [[ "$verify" == 1 ]]; then
    "${baseops[@]}" backup verify --quiet "$file" >/dev/null
fi
echo "$file"
