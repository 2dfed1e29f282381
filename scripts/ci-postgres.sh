#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster on 127.0.0.1 for the relayer's PostgreSQL tests and prints
# RELAYER_PGDATA=… (stop it with pg_ctl -D) and TEST_DATABASE_URL=… on stdout, one per line.
# Installs Debian's postgresql when it is missing. fsync is off: the cluster is thrown away after the run.
# Usage: settings="$(bash scripts/ci-postgres.sh)"; then export each line. `bash scripts/ci-postgres.sh stop` stops
# the cluster named by $RELAYER_PGDATA.
set -euo pipefail
# runuser and the apt tools live in sbin, which a minimal PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"
PORT="${PGPORT_TEST:-5433}"

bin_dir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ -z "$(bin_dir)" ]; then
  apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
fi
BIN="$(bin_dir)"
[ -x "$BIN/initdb" ] || { echo "no PostgreSQL binaries found under /usr/lib/postgresql" >&2; exit 1; }

# initdb refuses to run as root: run the cluster as the postgres user when we are root.
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "${1:-}" = stop ]; then
  as_owner "$BIN/pg_ctl" -D "${RELAYER_PGDATA:?}" -m fast stop >&2
  exit 0
fi

DATA="$(mktemp -d /tmp/relayer-pg.XXXXXX)"
if [ "$(id -u)" = 0 ]; then chown postgres "$DATA"; fi
as_owner "$BIN/initdb" -D "$DATA/data" --auth=trust --username=postgres --encoding=UTF8 >&2
as_owner "$BIN/pg_ctl" -D "$DATA/data" -l "$DATA/server.log" -w \
  -o "-k /tmp -h 127.0.0.1 -p $PORT -c fsync=off -c max_connections=200" start >&2
"$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres relayer_test >&2
echo "RELAYER_PGDATA=$DATA/data"
echo "TEST_DATABASE_URL=postgres://postgres@127.0.0.1:$PORT/relayer_test"
