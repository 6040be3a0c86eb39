#!/bin/sh
# staging-monitoring prometheus | alertmanager | health
#   prometheus    PROMETHEUS_PORT, ALERTMANAGER_PORT, STOREFRONT_TARGETS ("127.0.0.1:8001
#                 127.0.0.1:8002"); alert rules are read from /etc/storefront/rules
#   alertmanager  ALERTMANAGER_PORT; the routes of /etc/storefront/alertmanager.yml with
#                 every webhook sent to ALERT_WEBHOOK_URL
#   health        the readiness of whichever of the two this container runs
# Configuration and data live under /tmp: the root filesystem is read-only.
set -eu
role_file=/tmp/staging-monitoring.role
prometheus() {
  : "${STOREFRONT_TARGETS:?set STOREFRONT_TARGETS}"
  mkdir -p /tmp/prometheus/data
  targets=""
  for target in $STOREFRONT_TARGETS; do targets="$targets          - $target
"; done
  export TARGETS="$targets"
  envsubst '${PROMETHEUS_PORT} ${ALERTMANAGER_PORT} ${TARGETS}' \
    </etc/golive-staging/prometheus.yml.template >/tmp/prometheus/prometheus.yml
  echo "prometheus $PROMETHEUS_PORT" >"$role_file"
  exec /usr/bin/prometheus --config.file=/tmp/prometheus/prometheus.yml \
    --storage.tsdb.path=/tmp/prometheus/data --storage.tsdb.retention.time=1d \
    --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" --web.enable-lifecycle
}
alertmanager() {
  : "${ALERT_WEBHOOK_URL:?set ALERT_WEBHOOK_URL}"
  mkdir -p /tmp/alertmanager/data
  sed "s#http://127.0.0.1:9095#${ALERT_WEBHOOK_URL%/}#" /etc/storefront/alertmanager.yml \
    >/tmp/alertmanager/alertmanager.yml
  echo "alertmanager $ALERTMANAGER_PORT" >"$role_file"
  # An empty cluster address: no gossip port on any interface.
  exec /usr/bin/prometheus-alertmanager --config.file=/tmp/alertmanager/alertmanager.yml \
    --storage.path=/tmp/alertmanager/data --web.listen-address="127.0.0.1:$ALERTMANAGER_PORT" \
    --cluster.listen-address=
}
health() {
  read -r _ port <"$role_file"
  exec python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/-/ready', timeout=2)"
}
case "${1:-}" in
  prometheus | alertmanager | health) "$1" ;;
  *) echo "usage: staging-monitoring prometheus|alertmanager|health" >&2; exit 2 ;;
esac
