#!/usr/bin/env bash
# Start storefront's staging stack (deploy/staging/compose.yaml) and wait until every service
# is healthy; print the base URL (stdout, last line) and return. Images are built first when
# their inputs changed (scripts/images.sh). On any failure the stack is taken down again.
#
# Ports (127.0.0.1, host network) and secrets come from the environment; unset secrets are
# generated for this run and never written to disk:
#   STAGING_HTTP_PORT (8080)  nginx + WAF, the only entry point
#   STOREFRONT_PORT_1/_2 (8001/8002), POSTGRES_PORT (5433), PROMETHEUS_PORT (19090),
#   ALERTMANAGER_PORT (19093), ALERT_WEBHOOK_URL, OTEL_EXPORTER_OTLP_ENDPOINT, WAF_MODE (On)
#   POSTGRES_PASSWORD, JWT_SECRET, SEED_USER_PASSWORD
#   STAGING_PROJECT   compose project name (default: unique per run); STAGING_STATE keeps it
#                     (default .golive/staging) so that ops/staging-down.sh finds the stack
#   STAGING_TIMEOUT   seconds to wait for health (default 240)
set -euo pipefail
cd "$(dirname "$0")/.."
export DOCKER_HOST=unix:///run/docker.sock
state="${STAGING_STATE:-.golive/staging}"
secret() { head -c 24 /dev/urandom | base64 | tr -d '/+='; }

# KEY=image lines; the build's progress goes to stderr.
images=$(bash ../../scripts/images.sh)
while IFS='=' read -r key value; do export "$key=$value"; done <<<"$images"

export COMPOSE_PROJECT_NAME="${STAGING_PROJECT:-storefront-staging-$(date +%s)-$$}"
export POSTGRES_PASSWORD="${POSTGRES_PASSWORD:-$(secret)}"
export JWT_SECRET="${JWT_SECRET:-$(secret)}"
export SEED_USER_PASSWORD="${SEED_USER_PASSWORD:-$(secret)}"
mkdir -p "$state"
echo "$COMPOSE_PROJECT_NAME" >"$state/project"
compose=(docker-compose --ansi never -f deploy/staging/compose.yaml)

trap 'echo "staging-up: failed; taking the stack down" >&2; STAGING_PROJECT="$COMPOSE_PROJECT_NAME" ops/staging-down.sh >&2 || true' ERR
start=$SECONDS
"${compose[@]}" up -d --no-build >&2

# Every long-running service healthy, and the one-shot migration exited 0.
services=$("${compose[@]}" config --services)
deadline=$((SECONDS + ${STAGING_TIMEOUT:-240}))
while :; do
  states=$(/usr/bin/docker ps -aq --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" |
    xargs -r /usr/bin/docker inspect -f '{{index .Config.Labels "com.docker.compose.service"}} {{.State.Status}} {{.State.ExitCode}} {{if .State.Health}}{{.State.Health.Status}}{{end}}')
  unhealthy=""
  for service in $services; do
    status=$(awk -v s="$service" '$1 == s { $1 = ""; print substr($0, 2) }' <<<"$states")
    case "$service:$status" in
      migrate:"exited 0") ;;
      migrate:exited*) echo "staging-up: migrate failed: $status" >&2; "${compose[@]}" logs --no-color migrate >&2; false ;;
      *:"running 0 healthy") ;;
      *) unhealthy="$unhealthy $service(${status:-missing})" ;;
    esac
  done
  [ -z "$unhealthy" ] && break
  if ((SECONDS > deadline)); then
    echo "staging-up: not healthy after ${STAGING_TIMEOUT:-240} s:$unhealthy" >&2
    "${compose[@]}" ps >&2
    false
  fi
  sleep 1
done
echo "staging-up: project $COMPOSE_PROJECT_NAME healthy in $((SECONDS - start)) s" >&2
echo "http://127.0.0.1:${STAGING_HTTP_PORT:-8080}"
