#!/usr/bin/env bash
# tests/lib/pg.sh CMD [ARGS...] - runs CMD against a PostgreSQL server of
# its own: Debian's PostgreSQL 15 (initdb, pg_ctl) in a new temporary
# directory, listening only on a Unix socket there, stopped and removed at
# the end whatever happens.  CMD sees OPENAMS_TEST_PG, the conninfo of that
# server without dbname (testutil's tu_store_path() makes one database per
# test in it).  As root the server runs as nobody (initdb refuses root).
#
# The server is a test server: fsync=off (nothing here outlives the test).
set -euo pipefail

# initdb's shell redirects to /dev/null: where that is not the device (a
# broken container), root gives this script a mount namespace of its own
# with the real one bound over it.
if [ ! -c /dev/null ] && [ "$(id -u)" -eq 0 ] && [ -z "${OPENAMS_PG_NS:-}" ]; then
  null=$(mktemp -u /tmp/openams-null.XXXXXX)
  mknod -m 666 "$null" c 1 3
  exec env OPENAMS_PG_NS=1 unshare -m bash -c 'mount --bind "$0" /dev/null; rm -f "$0"; exec "$@"' \
    "$null" bash "$0" "$@"
fi

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
if [ ! -x "$PGBIN/initdb" ]; then
  echo "pg.sh: $PGBIN/initdb missing (apt-get install postgresql)" >&2
  exit 77
fi
dir=$(mktemp -d /tmp/openams-pg.XXXXXX)
as=()
if [ "$(id -u)" -eq 0 ]; then
  chown nobody: "$dir"
  as=(runuser -u nobody --)
fi
stop() {
  if [ -f "$dir/data/postmaster.pid" ]; then
    "${as[@]}" "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}
trap stop EXIT
"${as[@]}" "$PGBIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
  >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
"${as[@]}" "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
export OPENAMS_TEST_PG="host=$dir user=postgres"
rc=0
"$@" || rc=$?
exit $rc
