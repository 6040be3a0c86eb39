#!/usr/bin/env bash
# Stop storefront's staging stack and remove its containers, networks and volumes, whatever
# state it is in; then assert that nothing labelled with its project is left (exit 1 if so).
# The project is STAGING_PROJECT, else the one ops/staging-up.sh recorded in STAGING_STATE.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOCKER_HOST=unix:///run/docker.sock
state="${STAGING_STATE:-.golive/staging}"
project="${STAGING_PROJECT:-$(cat "$state/project" 2>/dev/null || true)}"
if [ -z "$project" ]; then
  echo "staging-down: no project (set STAGING_PROJECT or run ops/staging-up.sh first)" >&2
  exit 0
fi
# `down` interpolates the whole file: the required values only have to be set, not right.
for var in STOREFRONT_IMAGE POSTGRES_IMAGE NGINX_IMAGE MONITORING_IMAGE POSTGRES_PASSWORD \
  JWT_SECRET SEED_USER_PASSWORD; do
  export "$var=${!var:-unused}"
done
start=$SECONDS
docker-compose --ansi never -f deploy/staging/compose.yaml -p "$project" \
  down -v --remove-orphans --timeout 10 >&2 || true

label="label=com.docker.compose.project=$project"
left="$(/usr/bin/docker ps -aq --filter "$label") $(/usr/bin/docker volume ls -q --filter "$label") $(/usr/bin/docker network ls -q --filter "$label")"
if [ -n "${left// /}" ]; then
  echo "staging-down: left behind by $project: $left; removing" >&2
  /usr/bin/docker rm -fv $(/usr/bin/docker ps -aq --filter "$label") >/dev/null 2>&1 || true
  /usr/bin/docker volume rm -f $(/usr/bin/docker volume ls -q --filter "$label") >/dev/null 2>&1 || true
  /usr/bin/docker network rm $(/usr/bin/docker network ls -q --filter "$label") >/dev/null 2>&1 || true
  exit 1
fi
[ "$(cat "$state/project" 2>/dev/null || true)" = "$project" ] && rm -f "$state/project"
echo "staging-down: $project removed in $((SECONDS - start)) s, nothing left" >&2
