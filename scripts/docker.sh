#!/usr/bin/env bash
# Idempotent Docker set-up for the staging stack: Debian's docker.io, docker-compose (v1) and
# mmdebstrap, and a dockerd on the host network only (no bridge, no iptables rules, no
# masquerading: every container listens on 127.0.0.1 with network_mode: host).
# Quick when everything is in place: three dpkg queries and one `docker info`.
#
#   bash scripts/docker.sh        then: export DOCKER_HOST=unix:///run/docker.sock
#
# The daemon keeps its data under $GOLIVE_DOCKER_ROOT (default /var/lib/golive-docker) and logs
# to $GOLIVE_DOCKER_ROOT.log. Another docker CLI earlier in PATH talks to this daemon too, as
# long as DOCKER_HOST points at its socket (the scripts that use Docker export it).
set -euo pipefail

# python3-pip: Debian's Python (the base image's) fetches the wheels images are built from.
APT_PACKAGES=(docker.io docker-compose mmdebstrap python3-pip)
ROOT="${GOLIVE_DOCKER_ROOT:-/var/lib/golive-docker}"
SOCKET=/run/docker.sock
export DOCKER_HOST="unix://$SOCKET"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "docker: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The Debian client, whatever else is first in PATH: it matches the daemon's API version.
docker_cli() { /usr/bin/docker "$@"; }

if ! docker_cli info >/dev/null 2>&1; then
  echo "docker: starting dockerd (data in $ROOT, log in $ROOT.log)" >&2
  $SUDO mkdir -p "$ROOT"
  # A stale pid file from a daemon that died keeps the next one from starting.
  if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
    $SUDO rm -f /var/run/docker.pid
  fi
  # setsid: the daemon outlives this script and the shell that ran it.
  $SUDO setsid /usr/sbin/dockerd --host "unix://$SOCKET" --data-root "$ROOT" \
    --bridge=none --iptables=false --ip-masq=false >>"$ROOT.log" 2>&1 </dev/null &
  for _ in $(seq 120); do
    docker_cli info >/dev/null 2>&1 && break
    sleep 0.5
  done
  if ! docker_cli info >/dev/null 2>&1; then
    echo "docker: dockerd did not come up; last lines of $ROOT.log:" >&2
    tail -n 20 "$ROOT.log" >&2
    exit 1
  fi
fi
