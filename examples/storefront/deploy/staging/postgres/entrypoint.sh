#!/bin/sh
# First start: initdb as the postgres user (no password: it can only connect through the
# container's own socket), then the application role and database from POSTGRES_USER,
# POSTGRES_DB and POSTGRES_PASSWORD. Every start: listen on 127.0.0.1:$PGPORT, scram auth.
set -eu
: "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
user="${POSTGRES_USER:-storefront}"
db="${POSTGRES_DB:-storefront}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  initdb -D "$PGDATA" -U postgres --encoding=UTF8 --locale=C.UTF-8 \
    --auth-local=peer --auth-host=scram-sha-256 >/dev/null
  # Single-user mode reads the statements on stdin: the password never appears in argv.
  quoted=$(printf '%s' "$POSTGRES_PASSWORD" | sed "s/'/''/g")
  postgres --single -D "$PGDATA" postgres >/dev/null <<SQL
CREATE ROLE "$user" LOGIN CREATEDB PASSWORD '$quoted';
CREATE DATABASE "$db" OWNER "$user";
SQL
fi
exec postgres -D "$PGDATA" -p "$PGPORT" -c listen_addresses=127.0.0.1 \
  -c unix_socket_directories=/tmp -c shared_preload_libraries=pg_stat_statements -c jit=off
