#!/usr/bin/env bash
# storefront restore: load a backup written by ops/backup.sh into a NEW, empty database.
#
#   DATABASE_URL=<new database> ops/restore.sh BACKUP_FILE
#
# Environment:
#   DATABASE_URL   the target: an empty PostgreSQL database (create it first, see
#                  docs/DR_RUNBOOK.md) or a SQLite file that does not exist yet   [required]
#   RESTORE_JOBS   parallel pg_restore jobs                                         [default: 2]
#   PYTHON         interpreter for the SQLite restore                          [default: python3]
#
# It never restores over an existing database: recovery goes to a fresh copy, and the broken
# one stays untouched for the post-mortem.
set -euo pipefail

backup="${1:?usage: ops/restore.sh BACKUP_FILE}"
url="${DATABASE_URL:?set DATABASE_URL to the new database to restore into}"
[ -e "$backup" ] || { echo "restore.sh: no such backup: $backup" >&2; exit 2; }

case "$url" in
  postgres*)
    pg_restore --jobs="${RESTORE_JOBS:-2}" --no-owner --no-privileges --exit-on-error \
      --dbname="${url/+psycopg/}" "$backup"
    ;;
  sqlite:*)
    "${PYTHON:-python3}" - "$backup" "${url#sqlite:///}" <<'PY'
import os
import sqlite3
import sys

backup, target = sys.argv[1], sys.argv[2]
if os.path.exists(target) and os.path.getsize(target) > 0:
    sys.exit(f"restore.sh: {target} exists: restore into a new file")
src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
check = src.execute("PRAGMA integrity_check").fetchone()
if check is None or check[0] != "ok":
    sys.exit(f"restore.sh: {backup} is damaged: {check}")
dst = sqlite3.connect(target)
with dst:
    src.backup(dst)
dst.close()
src.close()
PY
    ;;
  *) echo "restore.sh: unsupported DATABASE_URL scheme: ${url%%:*}" >&2; exit 2 ;;
esac
echo "restore.sh: restored $backup"
