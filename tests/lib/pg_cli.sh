#!/usr/bin/env bash
# tests/lib/pg_cli.sh - `openams init --store URL` on PostgreSQL, then the
# instance used through the command line.  Run by tests/lib/pg.sh (it
# exports OPENAMS_TEST_PG); $OPENAMS is the program.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
: "${OPENAMS:?}" "${OPENAMS_TEST_PG:?}"
host=$(sed -n 's/.*host=\([^ ]*\).*/\1/p' <<<"$OPENAMS_TEST_PG")
psql="psql -X -q -At -h $host -U postgres"
$psql -d postgres -c "CREATE DATABASE cli"
url="postgresql:///cli?host=$host&user=postgres"
tmp=$(mktemp -d /tmp/openams-pgcli.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT

"$OPENAMS" init --dir "$tmp/a" --store "$url" >"$tmp/init.out" || fail "init --store"
grep -qxF "store.path = $url" "$tmp/a/openams.conf" || fail "store.path not in openams.conf"
[ ! -e "$tmp/a/openams.db" ] || fail "an SQLite file was made too"
[ "$($psql -d cli -c 'SELECT count(*) FROM ca_cert')" = 3 ] || fail "3 CA certificates in PostgreSQL"
[ "$($psql -d cli -c 'SELECT max(version) FROM schema_version')" -ge 11 ] || fail "schema version"
"$OPENAMS" audit verify --dir "$tmp/a" >"$tmp/verify.out" || fail "audit verify"
n=$($psql -d cli -c 'SELECT count(*) FROM audit')
[ "$n" -ge 4 ] || fail "audit rows: $n"
"$OPENAMS" ca crl --dir "$tmp/a" >/dev/null 2>"$tmp/crl.err" || { cat "$tmp/crl.err" >&2; fail "ca crl"; }
[ "$($psql -d cli -c "SELECT count(*) FROM crl WHERE issuer = 'issuing'")" -ge 2 ] || fail "a second issuing CRL"
[ "$($psql -d cli -c "SELECT count(*) FROM audit")" -gt "$n" ] || fail "the CRL was audited"
# the database outlives a data directory: a second instance is refused
if "$OPENAMS" init --dir "$tmp/b" --store "$url" >"$tmp/b.out" 2>&1; then fail "second init accepted"; fi
grep -q "already holds" "$tmp/b.out" || { cat "$tmp/b.out" >&2; fail "second init's message"; }
[ "$($psql -d cli -c 'SELECT count(*) FROM ca_cert')" = 3 ] || fail "second init changed the database"
# a store that is not a PostgreSQL URL
if "$OPENAMS" init --dir "$tmp/c" --store "/tmp/x.db" >"$tmp/c.out" 2>&1; then fail "--store /tmp/x.db accepted"; fi
# the append-only audit log, enforced by PostgreSQL itself
if $psql -d cli -c "DELETE FROM audit" 2>"$tmp/del.err"; then fail "audit rows deleted"; fi
grep -q "append-only" "$tmp/del.err" || fail "the trigger's message"
echo "ok: init --store, audit verify, ca crl on PostgreSQL"
