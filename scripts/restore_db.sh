#!/usr/bin/env bash
# Restores a backup with `baseops restore`: verifies the file first, then restores it into the
# configured database and checks counts, checksums and the audit chains.
#
#   scripts/restore_db.sh data/backups/baseops-20261206T031700.000Z-sqlite.tar
#   scripts/restore_db.sh --force /srv/backups/baseops-20261206T031700.000Z-postgres.tar
#
# Stop `baseops serve` and `baseops worker` first: on SQLite the database file is replaced,
# on PostgreSQL the tables are dropped and recreated. Without --force, restore refuses a
# database that holds data. BACKUP_BASEOPS is the baseops command, words split on spaces
# [baseops]. Exit 0 restored and verified; 6 the data disagrees with the manifest; 1 refused
# or failed (the message says why); 2 wrong usage. See docs/backup_restore.md.
set -euo pipefail

read -r -a baseops <<< "${BACKUP_BASEOPS-baseops}"

force=()
file=""
for arg in "$@"; do
    case "$arg" in
        --force) force=(--force) ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        -*) echo "restore_db.sh: unknown option $arg" >&2; exit 2 ;;
        *) [[ -z "$file" ]] || { echo "restore_db.sh: one backup file only" >&2; exit 2; }; file=$arg ;;
    esac
done
[[ -n "$file" ]] || { echo "usage: scripts/restore_db.sh [--force] FILE" >&2; exit 2; }

"${baseops[@]}" backup verify "$file"
"${baseops[@]}" restore "${force[@]}" "$file"
