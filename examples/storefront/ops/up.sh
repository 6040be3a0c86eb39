#!/usr/bin/env bash
# Local stack for `golive review`: a fresh embedded-SQLite storefront with seed data, and
# the local monitoring stack (Prometheus + Alertmanager with the committed rules and routes,
# 1s intervals, every receiver delivering to golive's drill webhook).
# golive runs this in its own process group, stops the group afterwards and runs `down`
# (which stops Prometheus and Alertmanager: they run in sessions of their own).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${GOLIVE_PYTHON:-python3}"
STATE="${STACK_DIR:-.golive/stack}"
PORT="${STOREFRONT_PORT:-8765}"
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
# A first backup, as the scheduled job (ops/backup.sh, every 4 minutes) would have made.
DATABASE_URL="sqlite:///$PWD/$STATE/storefront.db" BACKUP_DIR="$STATE/backups" PYTHON="$PY" ops/backup.sh

if [ "${MONITORING:-on}" != "off" ]; then
  # The committed prometheus.yml scrapes storefront where it ships (port 8000, as the
  # Dockerfile EXPOSEs); locally it answers on $PORT: that one address is mapped, nothing else.
  "$PY" -m golive monitoring up --dir monitoring --map "127.0.0.1:8000=127.0.0.1:$PORT" \
    --prometheus-port "${PROMETHEUS_PORT:-9090}" --alertmanager-port "${ALERTMANAGER_PORT:-9093}" \
    --webhook-url "http://127.0.0.1:${DRILL_WEBHOOK_PORT:-9095}" --state .golive/monitoring-stack
fi
# Supervised, so that the DR drill can stop storefront, take its database away and bring it
# back on the restored copy (dr.drill, recovery: in_place).
STACK_DIR="$STATE" exec ops/local-service.sh run "$PY" -m storefront serve --host 127.0.0.1 --port "$PORT"
