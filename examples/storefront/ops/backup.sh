#!/usr/bin/env bash
# storefront backup: PostgreSQL with pg_dump (custom format, compressed, restorable in parallel);
# the embedded SQLite database with SQLite's online backup API (consistent while the service
# keeps writing).
#
#   DATABASE_URL=... ops/backup.sh [BACKUP_FILE]
#
# Environment:
#   DATABASE_URL   the database to back up (sqlite:///path or postgresql+psycopg://...)  [required]
#   BACKUP_DIR     where timestamped backups go when no BACKUP_FILE is given   [default: ./backups]
#   BACKUP_KEEP    how many backups to keep in BACKUP_DIR (older ones are deleted)  [default: 720]
#   PG_SNAPSHOT    dump this exported snapshot (pg_export_snapshot()); golive's drill sets it so
#                  that it can checksum exactly what was dumped
#   PYTHON         interpreter for the SQLite backup                             [default: python3]
#
# Schedule: every 4 minutes, so the newest backup is always younger than the 5-minute RPO:
#   */4 * * * *  cd /srv/storefront && DATABASE_URL=... ops/backup.sh >>/var/log/storefront-backup.log 2>&1
# golive checks the schedule is kept (dr.backup: newest backup younger than the RPO, readable).
set -euo pipefail

url="${DATABASE_URL:?set DATABASE_URL to the database to back up}"
dir="${BACKUP_DIR:-backups}"
keep="${BACKUP_KEEP:-720}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"

case "$url" in
  sqlite:*) ext=db ;;
  postgres*) ext=dump ;;
  *) echo "backup.sh: unsupported DATABASE_URL scheme: ${url%%:*}" >&2; exit 2 ;;
esac

target="${1:-$dir/storefront-$stamp.$ext}"
mkdir -p "$(dirname "$target")"
# Written under a temporary name and renamed when complete: a half-written backup is never the
# "newest backup" a restore would pick.
tmp="$target.partial"
trap 'rm -f "$tmp"' EXIT

case "$ext" in
  dump)
    # pg_dump speaks libpq URLs: drop SQLAlchemy's "+driver" part.
    pg_dump --format=custom --file="$tmp" ${PG_SNAPSHOT:+--snapshot="$PG_SNAPSHOT"} \
      --dbname="${url/+psycopg/}"
    ;;
  db)
    "${PYTHON:-python3}" - "${url#sqlite:///}" "$tmp" <<'PY'
import sqlite3
import sys

src = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
dst = sqlite3.connect(sys.argv[2])
with dst:
    src.backup(dst)
dst.close()
src.close()
PY
    ;;
esac
mv "$tmp" "$target"
trap - EXIT
echo "backup.sh: wrote $target ($(du -h "$target" | cut -f1))"

if [ -z "${1:-}" ] && [ "$keep" -gt 0 ]; then
  # Retention applies to the timestamped backups only.
  ls -1t "$dir"/storefront-*."$ext" 2>/dev/null | tail -n +"$((keep + 1))" | xargs -r rm -f --
fi
