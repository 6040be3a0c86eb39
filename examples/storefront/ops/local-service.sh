#!/usr/bin/env bash
# storefront in the local review stack, under a small supervisor, so that the DR drill can really
# lose the service and recover it (golive.yaml, dr.drill with recovery: in_place):
#
#   ops/local-service.sh run CMD [ARGS...]   supervise CMD (ops/up.sh execs this)
#   ops/local-service.sh stop                stop the service and keep it down; returns once it is gone
#   ops/local-service.sh start               let the supervisor start it again; returns at once
#
# The supervisor restarts the service only after `stop` ... `start`: a service that dies on its own
# ends the stack, as before. Its pid and the hold flag live in STACK_DIR (default .golive/stack),
# next to the stack's database.
set -euo pipefail
state="${STACK_DIR:-.golive/stack}"
pidfile="$state/storefront.pid"
hold="$state/storefront.hold"

run() {
  mkdir -p "$state"
  rm -f "$hold"
  child=""
  # Stopping the stack stops the service with it.
  trap '[ -n "$child" ] && kill -TERM "$child" 2>/dev/null; wait; rm -f "$pidfile" "$hold"; exit 143' TERM INT
  while :; do
    "$@" &
    child=$!
    echo "$child" >"$pidfile"
    code=0
    wait "$child" || code=$?
    rm -f "$pidfile"
    child=""
    [ -e "$hold" ] || exit "$code"
    while [ -e "$hold" ]; do sleep 0.05; done
  done
}

stop() {
  touch "$hold"
  [ -f "$pidfile" ] || exit 0
  pid="$(cat "$pidfile")"
  kill -TERM "$pid" 2>/dev/null || true
  # The supervisor removes the pid file once it has reaped the service.
  for _ in $(seq 300); do
    [ -e "$pidfile" ] || exit 0
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null || true
  for _ in $(seq 100); do
    [ -e "$pidfile" ] || exit 0
    sleep 0.05
  done
  echo "local-service.sh: storefront (pid $pid) did not stop" >&2
  exit 1
}

case "${1:-}" in
  run) shift; run "$@" ;;
  stop) stop ;;
  start) rm -f "$hold" ;;
  *) echo "usage: ops/local-service.sh run CMD... | stop | start" >&2; exit 2 ;;
esac
