#!/usr/bin/env bash
# tests/lib/pg_backup.sh - `openams backup` of an instance on PostgreSQL
# (issue 20): the archive holds the database as an SQLite copy of the same
# rows from one snapshot; `openams restore` makes an SQLite instance of it
# (store.path rewritten, the PostgreSQL database untouched) whose every
# table has the rows PostgreSQL has (counts and a value-by-value digest of
# the certificates, the audit log and the cases), whose audit chain has the
# same head; and `openams store copy --switch` takes it back into a new
# PostgreSQL database.  Run by tests/lib/pg.sh (it exports OPENAMS_TEST_PG).
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
# shellcheck source=certs.sh
. "$(dirname "$0")/certs.sh"
ok() { echo "ok - $*"; }
: "${OPENAMS:?}" "${OPENAMS_TEST_PG:?}"
host=$(sed -n 's/.*host=\([^ ]*\).*/\1/p' <<<"$OPENAMS_TEST_PG")
psql="psql -X -q -At -h $host -U postgres"
$psql -d postgres -c "CREATE DATABASE bk1" -c "CREATE DATABASE bk2"
url="postgresql:///bk1?host=$host&user=postgres"
tmp=$(mktemp -d /tmp/openams-pgbackup.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
D=$tmp/a

printf 'store.backend = sqlite\n' >"$tmp/init.conf"
"$OPENAMS" init --dir "$D" --demo --store "$url" --config "$tmp/init.conf" >"$tmp/init.out" ||
	fail "init --demo --store"
two_certs "$D" "$tmp"
SOP=$(sed -n 's/^id: *//p' "$D"/sop/001-*.yaml | head -n 1)
"$OPENAMS" case open --dir "$D" --as pemohon.demo --role pemohon --sop "$SOP" >/dev/null ||
	fail "case open"
"$OPENAMS" audit verify --dir "$D" >"$tmp/verify.pg" || fail "audit verify on PostgreSQL"
ok "an instance on PostgreSQL with certificates, a revocation, CRLs and a case"

head -c 24 /dev/urandom | base64 >"$tmp/pass"
"$OPENAMS" backup --dir "$D" --out "$tmp/b.oab" --passphrase-file "$tmp/pass" >"$tmp/backup.out" ||
	fail "backup of a PostgreSQL instance: $(cat "$tmp/backup.out")"
ok "openams backup of the PostgreSQL instance"
tables=$($psql -d bk1 -c "SELECT table_name FROM information_schema.tables
	WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1")
before=$(for t in $tables; do echo "$t $($psql -d bk1 -c "SELECT count(*) FROM $t")"; done)

"$OPENAMS" restore --in "$tmp/b.oab" --dir "$tmp/r" --passphrase-file "$tmp/pass" >"$tmp/restore.out" ||
	fail "restore: $(cat "$tmp/restore.out")"
grep -q "restored on SQLite" "$tmp/restore.out" || fail "restore does not say it is on SQLite now"
grep -qx 'store.path = "openams.db"' "$tmp/r/openams.conf" || fail "store.path not rewritten"
grep -v '^#' "$tmp/r/openams.conf" | grep -q 'store.backend' && fail "the stale store.backend line kept"
grep -v '^#' "$tmp/r/openams.conf" | grep -q 'postgresql' && fail "the restored conf still names PostgreSQL"
[ -f "$tmp/r/openams.db" ] || fail "no SQLite database restored"
ok "restore: an SQLite instance, store.path rewritten"

# every table: the same rows
for t in $tables; do
	[ "$t" = schema_version ] && continue
	want=$(awk -v t="$t" '$1 == t {print $2}' <<<"$before")
	got=$(sqlite3 "$tmp/r/openams.db" "SELECT count(*) FROM $t")
	[ "$got" = "$want" ] || fail "table $t: $want rows in PostgreSQL, $got restored"
done
ok "every table has PostgreSQL's row count ($(wc -w <<<"$tables") tables)"
# value by value: the certificates, the audit log, the cases
pgd=$($psql -d bk1 -c "SELECT serial || ' ' || status || ' ' || encode(der, 'hex') FROM certificate ORDER BY serial" \
	-c "SELECT seq || ' ' || actor || ' ' || action || ' ' || object || ' ' || COALESCE(detail, '') FROM audit ORDER BY seq" \
	-c "SELECT id || ' ' || version_id || ' ' || applicant || ' ' || state || ' ' || step FROM sop_case ORDER BY id" | sha256sum)
sqd=$(sqlite3 "$tmp/r/openams.db" "SELECT serial || ' ' || status || ' ' || lower(hex(der)) FROM certificate ORDER BY serial;
	SELECT seq || ' ' || actor || ' ' || action || ' ' || object || ' ' || COALESCE(detail, '') FROM audit ORDER BY seq;
	SELECT id || ' ' || version_id || ' ' || applicant || ' ' || state || ' ' || step FROM sop_case ORDER BY id" | sha256sum)
[ "$pgd" = "$sqd" ] || fail "certificates, audit records or cases differ after the restore"
ok "certificates (DER), audit records and cases identical, value by value"
"$OPENAMS" audit verify --dir "$tmp/r" >"$tmp/verify.r" || fail "audit verify on the restored instance"
h1=$(grep -o 'head [0-9a-f]*' "$tmp/verify.pg" || true) h2=$(grep -o 'head [0-9a-f]*' "$tmp/verify.r" || true)
[ -n "$h1" ] && [ "$h1" = "$h2" ] || fail "audit heads differ: '$h1' / '$h2'"
ok "the restored audit chain verifies, same head ($h1)"
"$OPENAMS" ca status "$B" --dir "$tmp/r" | grep -q revoked || fail "B not revoked after the restore"
after=$(for t in $tables; do echo "$t $($psql -d bk1 -c "SELECT count(*) FROM $t")"; done)
[ "$before" = "$after" ] || fail "the restore changed the PostgreSQL database"
ok "the PostgreSQL database untouched by the restore"

# back to PostgreSQL
url2="postgresql:///bk2?host=$host&user=postgres"
"$OPENAMS" store copy --dir "$tmp/r" --to "$url2" --switch >"$tmp/copy.out" || fail "store copy back"
"$OPENAMS" audit verify --dir "$tmp/r" >"$tmp/verify.r2" || fail "audit verify after the copy back"
h3=$(grep -o 'head [0-9a-f]*' "$tmp/verify.r2" || true)
[ "$h3" = "$h1" ] || fail "the audit head changed on the way back"
[ "$($psql -d bk2 -c 'SELECT count(*) FROM certificate')" = "$($psql -d bk1 -c 'SELECT count(*) FROM certificate')" ] ||
	fail "certificates lost on the way back"
ok "store copy --switch takes it back into a new PostgreSQL database, same audit head"
echo "ok: backup and restore of an instance on PostgreSQL"
