#!/usr/bin/env bash
# A throw-away PostgreSQL 15 for tests and local development, from the machine's packages.
#
#   hack/postgres.sh start [DIR] [PORT]   initdb into DIR (once), start on 127.0.0.1:PORT with
#                                         trust auth, create database "eksaccess"; prints the DSN
#   hack/postgres.sh stop  [DIR]          stop it (fast shutdown: connections are cut)
#   hack/postgres.sh destroy [DIR]        stop it and remove DIR
#
# DIR defaults to /tmp/eksaccess-pg-PORT, PORT to 55432. initdb refuses to run as root, so as
# root the server runs as the "postgres" user (DIR is created owned by it).
set -euo pipefail
cmd="${1:-}"
port="${3:-${EKSACCESS_PG_PORT:-55432}}"
dir="${2:-/tmp/eksaccess-pg-$port}"
bin="${PG_BIN:-}"
if [ -z "$bin" ]; then
  for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    if [ -x "$d/initdb" ]; then bin="$d"; break; fi
  done
fi
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "postgres.sh: PostgreSQL server binaries not found (set PG_BIN)" >&2
  exit 1
fi

case "$dir" in /*) ;; *) dir="$PWD/$dir" ;; esac

# as_pg runs a command as the postgres user when root, from / : the postgres user may not be
# able to read the caller's directory (PostgreSQL would warn "could not change directory").
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

case "$cmd" in
start)
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
    as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  if ! as_pg "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
      -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
  fi
  if ! as_pg "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'eksaccess'" postgres | grep -q 1; then
    as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres eksaccess
  fi
  echo "postgres://postgres@127.0.0.1:$port/eksaccess?sslmode=disable"
  ;;
stop)
  if [ -f "$dir/data/PG_VERSION" ] && as_pg "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  fi
  ;;
destroy)
  "$0" stop "$dir" "$port"
  rm -rf "$dir"
  ;;
*)
  echo "usage: $0 start|stop|destroy [DIR] [PORT]" >&2
  exit 2
  ;;
esac
