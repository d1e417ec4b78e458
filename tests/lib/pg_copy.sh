#!/usr/bin/env bash
# tests/lib/pg_copy.sh - `openams store copy`: an SQLite demo instance with
# certificates, a revocation, CRLs and a case copied into PostgreSQL,
# checked independently with psql, switched, and used there; and its
# refusals.  Run by tests/lib/pg.sh (it exports OPENAMS_TEST_PG); $OPENAMS
# is the program.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
# shellcheck source=certs.sh
. "$(dirname "$0")/certs.sh"
: "${OPENAMS:?}" "${OPENAMS_TEST_PG:?}"
host=$(sed -n 's/.*host=\([^ ]*\).*/\1/p' <<<"$OPENAMS_TEST_PG")
psql="psql -X -q -At -h $host -U postgres"
$psql -d postgres -c "CREATE DATABASE copy1" -c "CREATE DATABASE copy2" -c "CREATE DATABASE other" \
	-c "CREATE DATABASE older"
url="postgresql:///copy1?host=$host&user=postgres"
tmp=$(mktemp -d /tmp/openams-pgcopy.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
D=$tmp/a

"$OPENAMS" init --dir "$D" --demo >"$tmp/init.out" || fail "init --demo"
# real data: two certificates, one revoked (with its CRL), a CRL, a case
two_certs "$D" "$tmp"
"$OPENAMS" ca crl --dir "$D" --out "$tmp/crl.der" >/dev/null || fail "ca crl"
SOP=$(sed -n 's/^id: *//p' "$D"/sop/001-*.yaml | head -n 1)
CASE=$("$OPENAMS" case open --dir "$D" --as pemohon.demo --role pemohon --sop "$SOP") ||
	fail "case open"
"$OPENAMS" ca status "$A" --dir "$D" >"$tmp/a.sqlite" || fail "status A"
"$OPENAMS" ca status "$B" --dir "$D" >"$tmp/b.sqlite" || fail "status B"
"$OPENAMS" audit verify --dir "$D" >"$tmp/verify.sqlite" || fail "audit verify on SQLite"
naudit=$(sqlite3 "$D/openams.db" 'SELECT count(*) FROM audit')
[ "$naudit" -ge 20 ] || fail "only $naudit audit records"
dbsum=$(sha256sum <"$D/openams.db")

"$OPENAMS" store copy --help | grep -q "is not copied" || fail "store copy --help"
# ---- refusals first: nothing is changed by them ----------------------------
# unreachable: a socket directory where no server listens
if "$OPENAMS" store copy --dir "$D" --to "postgresql:///x?host=$tmp/nowhere&user=postgres" \
	>"$tmp/unreach.out" 2>&1; then fail "an unreachable URL accepted"; fi
grep -q "cannot connect" "$tmp/unreach.out" || { cat "$tmp/unreach.out" >&2; fail "unreachable: message"; }
# not a PostgreSQL URL
if "$OPENAMS" store copy --dir "$D" --to "/tmp/x.db" >"$tmp/notpg.out" 2>&1; then
	fail "--to /tmp/x.db accepted"; fi
# a database holding other tables
$psql -d other -c "CREATE TABLE t (x int)" -c "INSERT INTO t VALUES (1)"
rc=0; "$OPENAMS" store copy --dir "$D" --to "postgresql:///other?host=$host&user=postgres" \
	>"$tmp/other.out" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "a database with other tables: exit $rc"
grep -q "not an empty database" "$tmp/other.out" || { cat "$tmp/other.out" >&2; fail "other: message"; }
[ "$($psql -d other -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" = 1 ] ||
	fail "the refused database was changed"
# an openams schema at another version
$psql -d older -c "CREATE TABLE schema_version (version BIGINT PRIMARY KEY, module TEXT NOT NULL,
	applied_at BIGINT NOT NULL)" -c "INSERT INTO schema_version VALUES (5, 'x', 0)"
rc=0; "$OPENAMS" store copy --dir "$D" --to "postgresql:///older?host=$host&user=postgres" \
	>"$tmp/older.out" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "another schema version: exit $rc"
grep -q "schema is at version 5" "$tmp/older.out" || { cat "$tmp/older.out" >&2; fail "older: message"; }
[ "$($psql -d older -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" = 1 ] ||
	fail "the older database was changed"
# an openams instance already there (init --store made it: not empty)
"$OPENAMS" init --dir "$tmp/b" --store "postgresql:///copy2?host=$host&user=postgres" >/dev/null ||
	fail "init copy2"
before=$($psql -d copy2 -c "SELECT count(*) FROM audit")
rc=0; "$OPENAMS" store copy --dir "$D" --to "postgresql:///copy2?host=$host&user=postgres" \
	>"$tmp/full.out" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "a non-empty target: exit $rc"
grep -q "not empty" "$tmp/full.out" || { cat "$tmp/full.out" >&2; fail "non-empty: message"; }
[ "$($psql -d copy2 -c "SELECT count(*) FROM audit")" = "$before" ] || fail "non-empty target changed"
[ "$(sha256sum <"$D/openams.db")" = "$dbsum" ] || fail "the source was written to"

# ---- the copy --------------------------------------------------------------
t0=$(date +%s.%N)
"$OPENAMS" store copy --dir "$D" --to "$url" --switch >"$tmp/copy.out" 2>"$tmp/copy.err" ||
	{ cat "$tmp/copy.out" "$tmp/copy.err" >&2; fail "store copy"; }
t1=$(date +%s.%N)
echo "store copy of the test instance: $(echo "$t1 - $t0" | bc) s (wall, with process start)"
cat "$tmp/copy.out"
[ "$(sha256sum <"$D/openams.db")" = "$dbsum" ] || fail "the source was written to by the copy"
grep -q "^tables: [0-9]*, rows: [0-9]* (equal on both sides)$" "$tmp/copy.out" || fail "report: tables"
grep -q "^audit: $naudit records, head [0-9a-f]\{64\} (verified on PostgreSQL)$" "$tmp/copy.out" ||
	fail "report: audit"
head=$(sed -n 's/^audit log intact: .* head //p' "$tmp/verify.sqlite")
grep -q "head $head " "$tmp/copy.out" || fail "the audit head differs from SQLite's"
grep -qxF "store.path = \"$url\"" "$D/openams.conf" || fail "--switch: store.path"
[ "$(grep -c '^store.path' "$D/openams.conf")" = 1 ] || fail "--switch: one store.path"
# every table's rows, independently: sqlite3 against psql
ntab=0
for t in $(sqlite3 "$D/openams.db" "SELECT name FROM sqlite_master WHERE type = 'table'
		AND name NOT LIKE 'sqlite_%' AND name <> 'schema_version'"); do
	s=$(sqlite3 "$D/openams.db" "SELECT count(*) FROM $t")
	p=$($psql -d copy1 -c "SELECT count(*) FROM $t")
	[ "$s" = "$p" ] || fail "table $t: $s rows in SQLite, $p in PostgreSQL"
	grep -qE "^  $t +$s\$" "$tmp/copy.out" || fail "report: table $t"
	ntab=$((ntab + 1))
done
grep -q "^tables: $ntab," "$tmp/copy.out" || fail "report: $ntab tables"
# bytes as they were (the certificates' DER), NULLs where SQLite had them
s=$(sqlite3 "$D/openams.db" "SELECT lower(hex(der)) FROM certificate ORDER BY serial")
p=$($psql -d copy1 -c "SELECT encode(der, 'hex') FROM certificate ORDER BY serial COLLATE \"C\"")
[ -n "$s" ] && [ "$s" = "$p" ] || fail "the certificates' DER differs"
s=$(sqlite3 "$D/openams.db" "SELECT count(*) FROM certificate WHERE revoked_at IS NULL")
[ "$s" = "$($psql -d copy1 -c "SELECT count(*) FROM certificate WHERE revoked_at IS NULL")" ] ||
	fail "NULLs differ"

# ---- the switched instance runs on PostgreSQL -------------------------------
"$OPENAMS" audit verify --dir "$D" >"$tmp/verify.pg" || fail "audit verify on PostgreSQL"
grep -q "$naudit records, head $head" "$tmp/verify.pg" || fail "audit verify: head"
"$OPENAMS" ca status "$A" --dir "$D" >"$tmp/a.pg" || fail "status A on PostgreSQL"
"$OPENAMS" ca status "$B" --dir "$D" >"$tmp/b.pg" || fail "status B on PostgreSQL"
cmp -s "$tmp/a.sqlite" "$tmp/a.pg" || fail "ca status A differs"
cmp -s "$tmp/b.sqlite" "$tmp/b.pg" || fail "ca status B differs"
grep -q "^status: revoked" "$tmp/b.pg" || fail "B revoked"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/c.key" \
	-subj "/C=ID/O=Dinas Kominfo/CN=Citra Dewi" -out "$tmp/c.csr" 2>/dev/null
"$OPENAMS" ca issue --dir "$D" --csr "$tmp/c.csr" --nik 3201010101800003 --email citra@kominfo.go.id --out "$tmp/c.pem" \
	>/dev/null 2>"$tmp/c.err" || { cat "$tmp/c.err" >&2; fail "issue C on PostgreSQL"; }
[ "$($psql -d copy1 -c "SELECT max(seq) FROM audit")" -gt "$naudit" ] ||
	fail "no audit record past the copied ones"
# a new case: its id (an identity column) past the copied ones, no collision
maxcase=$($psql -d copy1 -c "SELECT max(id) FROM sop_case")
"$OPENAMS" case close "$CASE" --withdraw --dir "$D" --as pemohon.demo --role pemohon >/dev/null ||
	fail "case close on PostgreSQL"
"$OPENAMS" case open --dir "$D" --as pemohon.demo --role pemohon --sop "$SOP" >"$tmp/case2" ||
	fail "case open on PostgreSQL"
[ "$($psql -d copy1 -c "SELECT max(id) FROM sop_case")" -gt "$maxcase" ] || fail "case id"
"$OPENAMS" ca crl --dir "$D" >/dev/null || fail "ca crl on PostgreSQL"
"$OPENAMS" audit verify --dir "$D" >/dev/null || fail "audit verify after new records"
[ "$($psql -d copy1 -c "SELECT count(*) FROM audit")" -gt "$naudit" ] || fail "new audit records"
# a second copy into it: refused, the instance's data untouched
n=$($psql -d copy1 -c "SELECT count(*) FROM audit")
sed -i 's|^store.path = .*|store.path = openams.db|' "$D/openams.conf"
if "$OPENAMS" store copy --dir "$D" --to "$url" >"$tmp/again.out" 2>&1; then
	fail "a second copy accepted"; fi
[ "$($psql -d copy1 -c "SELECT count(*) FROM audit")" = "$n" ] || fail "the second copy changed it"
# value by value: a target that changes what it is given (a trigger appending
# to every person's name) is caught, named, and the copy rolled back
$psql -d postgres -c "CREATE DATABASE tamper"
turl="postgresql:///tamper?host=$host&user=postgres"
"$OPENAMS" init --dir "$tmp/t" --store "$turl" >/dev/null || fail "init of the tamper schema"
tabs=$($psql -d tamper -c "SELECT string_agg(table_name, ', ') FROM information_schema.tables
	WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'schema_version'")
$psql -d tamper -c "TRUNCATE $tabs CASCADE" \
	-c "CREATE FUNCTION tamper() RETURNS trigger AS \$\$ BEGIN NEW.name := NEW.name || 'x'; RETURN NEW; END \$\$ LANGUAGE plpgsql" \
	-c "CREATE TRIGGER tamper BEFORE INSERT ON auth_person FOR EACH ROW EXECUTE FUNCTION tamper()"
if "$OPENAMS" store copy --dir "$D" --to "$turl" >"$tmp/tamper.out" 2>&1; then
	fail "a copy whose values changed was accepted"; fi
grep -q "table auth_person: the copy's values differ" "$tmp/tamper.out" || fail "tamper message: $(cat "$tmp/tamper.out")"
[ "$($psql -d tamper -c "SELECT count(*) FROM auth_person")" = 0 ] || fail "the tampered copy was committed"
echo "ok: store copy to PostgreSQL, verified, switched; refusals"
