#!/usr/bin/env bash
# Local stack for `golive review`: a fresh embedded-SQLite storefront with seed data.
# golive runs this in its own process group and stops the whole group afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${GOLIVE_PYTHON:-python3}"
STATE="${STACK_DIR:-.golive/stack}"
mkdir -p "$STATE"
rm -f "$STATE/storefront.db"
export DATABASE_URL="sqlite:///$PWD/$STATE/storefront.db"
export AUTO_MIGRATE=true
export APP_VERSION="${APP_VERSION:-0.1.0}"
export LOG_FORMAT=json
# Seeded accounts get a random password per stack: nothing secret lives in the repo.
export SEED_USER_PASSWORD="${SEED_USER_PASSWORD:-$(head -c 18 /dev/urandom | base64 | tr -d '/+=')}"
"$PY" -m storefront migrate
"$PY" -m storefront seed --products 50 --users 5
exec "$PY" -m storefront serve --host 127.0.0.1 --port "${STOREFRONT_PORT:-8765}"
