#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for the test suite and print its URL.
#
#   eval "$(scripts/test_postgres.sh start)"   # exports TEST_POSTGRES_URL and TEST_POSTGRES_DIR
#   scripts/test_postgres.sh stop "$TEST_POSTGRES_DIR"
#
# The server is Debian's (package postgresql, installed here when missing and
# when we may), in a new data directory under /tmp, on a free loopback port,
# with trust authentication: for tests only, never for data. As root the
# server runs as the `postgres` user (PostgreSQL refuses to run as root).
set -euo pipefail

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  local bin
  bin=$(pg_bin || true)
  if [ -z "$bin" ]; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "PostgreSQL server binaries not found; install Debian's postgresql package" >&2
      exit 1
    fi
    echo "installing Debian's postgresql package" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2
    bin=$(pg_bin)
  fi
  local dir port
  dir=$(mktemp -d /tmp/sarcoma-pgtest.XXXXXX)
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  as_owner "$bin/initdb" -D "$dir/data" -A trust -U postgres --no-sync >"$dir/initdb.log"
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
    start >&2
  as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres store_test
  echo "export TEST_POSTGRES_DIR=$dir"
  echo "export TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:$port/store_test"
}

stop() {
  local dir=${1:?usage: $0 stop DIR}
  local bin
  bin=$(pg_bin)
  as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) shift; stop "$@" ;;
  *) echo "usage: $0 start | stop DIR" >&2; exit 2 ;;
esac
