#!/bin/bash
# lifecycle.sh - revocation is final, init never touches an existing
# directory, and `openams audit verify` finds a changed, a deleted and a
# swapped audit record (the attacker drops the append-only triggers first).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

setup_instance
EM=budi@kominfo.go.id
NIK=3201010101800001

csr ec-p256 a "/C=ID/O=Dinas Kominfo/CN=Budi Santoso" 2>/dev/null
issue_ok "issue A (individual)" a.pem --dir "$D" --csr a.csr --nik $NIK --email $EM
csr ec-p256 b "/C=ID/O=Dinas Kominfo/CN=Segel Dinas" 2>/dev/null
issue_ok "issue B (seal)" b.pem --dir "$D" --csr b.csr --profile seal
A=$(serial_of a.pem) B=$(serial_of b.pem)
crlnum() { openssl crl -inform DER -in "$D/pki/issuing.crl" -noout -crlnumber | cut -d= -f2; }

# ---- revocation is final ------------------------------------------------------
INV=$(date -u +%Y-%m-%dT%H:%M:%SZ) # after A's notBefore, not in the future
out=$("$OPENAMS" ca revoke "$A" --dir "$D" --reason keyCompromise --invalidity-date "$INV" 2>&1) &&
	ok "revoke A keyCompromise" || nok "revoke A: $out"
check_eq "revoke prints 'revoked SERIAL (reason)'" "$out" "revoked $A (keyCompromise)"
st1=$("$OPENAMS" ca status "$A" --dir "$D")
row1=$(sqlite3 "$D/openams.db" "SELECT status, revoked_at, reason, invalidity_date FROM certificate WHERE serial = '$A'")
check_match "status: revoked" "$st1" $'^status: revoked$'
check_match "status: reason keyCompromise" "$st1" $'^reason: keyCompromise$'
check_match "status: invalidity_date" "$st1" "^invalidity_date: $INV\$"
check_match "DB row: revoked, reason 1, invalidity date" "$row1" "^revoked\|[0-9]+\|1\|$(date -u -d "$INV" +%s)$"
n1=$(crlnum)
refused "revoking A again (superseded) is refused, naming when and why" "$D" state "keyCompromise" \
	"$OPENAMS" ca revoke "$A" --dir "$D" --reason superseded
refused "revoking A again (same reason) is refused" "$D" state "revoked" \
	"$OPENAMS" ca revoke "$A" --dir "$D" --reason keyCompromise
refused "revoking A again, serial typed with colons and upper case" "$D" state "revoked" \
	"$OPENAMS" ca revoke "$(sed 's/../&:/g; s/:$//' <<<"$A" | tr a-f A-F)" --dir "$D" --reason unspecified
check_eq "status unchanged after the refused revocations" "$("$OPENAMS" ca status "$A" --dir "$D")" "$st1"
check_eq "DB row unchanged" "$(sqlite3 "$D/openams.db" "SELECT status, revoked_at, reason, invalidity_date FROM certificate WHERE serial = '$A'")" "$row1"
check_eq "no new CRL for a refused revocation" "$(crlnum)" "$n1"
check_not "schema backstop: UPDATE of a revoked row is refused by SQLite" \
	sqlite3 "$D/openams.db" "UPDATE certificate SET status = 'active', revoked_at = NULL, reason = NULL WHERE serial = '$A'"
check_not "schema backstop: DELETE of a certificate is refused by SQLite" \
	sqlite3 "$D/openams.db" "DELETE FROM certificate WHERE serial = '$A'"
check_eq "still revoked after the direct SQL attempts" "$(sqlite3 "$D/openams.db" "SELECT status FROM certificate WHERE serial = '$A'")" revoked
openssl ocsp -issuer "$D/pki/issuing.crt" -cert a.pem -reqout a.req >/dev/null
"$OPENAMS" ca ocsp --dir "$D" --req a.req --out a.resp
check_match "OCSP still says revoked (keyCompromise)" \
	"$(openssl ocsp -respin a.resp -reqin a.req -CAfile "$D/pki/chain.pem" -resp_text 2>&1)" "Revocation Reason: keyCompromise"

refused "revoking a serial never issued" "$D" not_found "no certificate|not found|$(printf 7f%030d 1)" \
	"$OPENAMS" ca revoke "7f$(printf %030d 1)" --dir "$D" --reason keyCompromise
refused "revoking a malformed serial" "$D" invalid_input "serial" \
	"$OPENAMS" ca revoke "zz-not-hex" --dir "$D" --reason keyCompromise
refused "revoking a 21-octet serial" "$D" invalid_input "serial" \
	"$OPENAMS" ca revoke "7f$(printf %040d 1)" --dir "$D" --reason keyCompromise
refused "revoking with a bad invalidity date" "$D" invalid_input "." \
	"$OPENAMS" ca revoke "$B" --dir "$D" --reason keyCompromise --invalidity-date "yesterday"
# RFC 5280 5.3.2: the key cannot have become unusable before the certificate
# existed (security review, issue 16).
NB=$(date -u -d "$(openssl x509 -in b.pem -noout -startdate | cut -d= -f2)" +%s)
refused "revoking with an invalidity date before notBefore" "$D" invalid_input \
	"invalidity date .* is before the certificate's notBefore $(date -u -d @"$NB" +%Y-%m-%dT%H:%M:%SZ)" \
	"$OPENAMS" ca revoke "$B" --dir "$D" --reason keyCompromise --invalidity-date "$(date -u -d @$((NB - 1)) +%Y-%m-%dT%H:%M:%SZ)"
refused "revoking with an invalidity date long before notBefore" "$D" invalid_input "before the certificate's notBefore" \
	"$OPENAMS" ca revoke "$B" --dir "$D" --reason keyCompromise --invalidity-date 2020-01-01
snapshot "$D" before
rc=0
"$OPENAMS" ca revoke "$B" --dir "$D" --reason certificateHold >/dev/null 2>err || rc=$?
snapshot "$D" after
check_eq "revoke with an unknown reason (certificateHold) is a usage error (exit 2)" "$rc" 2
check "... and changes nothing" cmp -s before after
check_match "... and lists the reasons" "$(cat err)" "keyCompromise"
out=$("$OPENAMS" ca revoke "0x$(tr a-f A-F <<<"$B")" --dir "$D" --reason cessationOfOperation 2>&1) &&
	ok "revoke B with a 0x-prefixed upper-case serial" || nok "revoke B: $out"
check_match "B revoked" "$("$OPENAMS" ca status "$B" --dir "$D")" $'^reason: cessationOfOperation$'

# A new certificate for the NIK is allowed once the old one is revoked.
csr ec-p256 a2 "/C=ID/O=Dinas Kominfo/CN=Budi Santoso" 2>/dev/null
issue_ok "after revocation the same NIK gets a new certificate" a2.pem --dir "$D" --csr a2.csr --nik $NIK --email $EM

# An expired certificate (time moved with OPENAMS_NOW) can still be revoked,
# and an expired individual no longer blocks its NIK.
csr ec-p256 e "/C=ID/O=Dinas Kominfo/CN=Ani" 2>/dev/null
issue_ok "individual with --days 1" e.pem --dir "$D" --csr e.csr --nik 3201010101800002 --email ani@kominfo.go.id --days 1
E=$(serial_of e.pem)
LATER=$(date -u -d '+3 days' +%Y-%m-%dT%H:%M:%SZ)
check_match "status is expired once not_after has passed" "$(OPENAMS_NOW=$LATER "$OPENAMS" ca status "$E" --dir "$D")" $'^status: expired$'
csr ec-p256 e2 "/C=ID/O=Dinas Kominfo/CN=Ani" 2>/dev/null
refused "while E is still valid its NIK is blocked" "$D" policy "$E" \
	"$OPENAMS" ca issue --dir "$D" --csr e2.csr --nik 3201010101800002 --email ani@kominfo.go.id --out e2.pem
E2OUT=$(OPENAMS_NOW=$LATER "$OPENAMS" ca issue --dir "$D" --csr e2.csr --nik 3201010101800002 --email ani@kominfo.go.id --out e2.pem 2>&1) &&
	ok "3 days later the NIK of the expired certificate gets a new one" || nok "issue after expiry: $E2OUT"
check_eq "the expired one is marked expired in the DB" "$(sqlite3 "$D/openams.db" "SELECT status FROM certificate WHERE serial = '$E'")" expired
out=$(OPENAMS_NOW=$LATER "$OPENAMS" ca revoke "$E" --dir "$D" --reason superseded 2>&1) &&
	ok "an expired certificate can be revoked" || nok "revoke expired: $out"
check_match "expired -> revoked" "$("$OPENAMS" ca status "$E" --dir "$D")" $'^status: revoked$'
check "audit verify passes after all of that" "$OPENAMS" audit verify --dir "$D"

# ---- init never touches an existing directory --------------------------------
tree_sum() { (cd "$1" && find . -printf '%p %m %s %T@\n' | sort && find . -type f -print0 | sort -z | xargs -0 -r sha256sum); }
# (no sqlite3 here: even a read of a WAL database touches the directory)
init_refused() { # DESC DIR [init options]: exit 1, "openams: exists:", DIR bit-for-bit unchanged
	local desc=$1 dir=$2 rc=0 before
	shift 2
	before=$(tree_sum "$dir")
	"$OPENAMS" init --dir "$dir" "$@" >"$T/init.out" 2>"$T/init.err" || rc=$?
	check_eq "$desc: exit 1" "$rc" 1
	check_match "$desc: 'openams: exists:' on stderr" "$(cat "$T/init.err")" "^openams: exists: "
	check_eq "$desc: unchanged (recursive checksum, modes, sizes, mtimes)" "$(tree_sum "$dir")" "$before"
}
init_refused "init on an existing instance" "$D"
init_refused "init --key-type rsa-2048 on an existing instance" "$D" --key-type rsa-2048
mkdir other && echo "some user file" >other/notes.txt && mkdir other/sub && echo x >other/sub/.hidden
init_refused "init on a non-empty foreign directory" other
mkdir dotonly && : >dotonly/.keep
init_refused "init on a directory holding only a dotfile" dotonly
echo "a file" >plainfile
rc=0
"$OPENAMS" init --dir plainfile >/dev/null 2>err || rc=$?
check_eq "init on a path that is a file: exit 1" "$rc" 1
check_eq "... the file is unchanged" "$(cat plainfile)" "a file"
check_eq "no stray temporary directories next to the refused targets" \
	"$(find "$T" -maxdepth 1 -name '*.tmp*' -o -maxdepth 1 -name '.*tmp*' | wc -l)" 0
mkdir emptydir
check "init on an existing empty directory is allowed" "$OPENAMS" init --dir emptydir
check "passphrase-file init + OPENAMS_CA_PASSPHRASE" bash -c "printf 'a-long-ca-passphrase\n' >pp && '$OPENAMS' init --dir pp-inst --passphrase-file pp >/dev/null && test ! -e pp-inst/secrets/ca.pass"
refused "passphrase instance: signing without the passphrase is refused" "$T/pp-inst" "(config|crypto|denied|invalid_input)" "." \
	"$OPENAMS" ca issue --dir "$T/pp-inst" --csr a.csr --profile seal --out /dev/null
check "passphrase instance: signing with OPENAMS_CA_PASSPHRASE works" \
	env OPENAMS_CA_PASSPHRASE=a-long-ca-passphrase "$OPENAMS" ca issue --dir "$T/pp-inst" --csr a.csr --profile seal --out /dev/null

# ---- audit verify detects tampering ---------------------------------------------
out=$("$OPENAMS" audit verify --dir "$D" 2>&1) && ok "audit verify passes on the untouched log" || nok "audit verify: $out"
rows=$(sqlite3 "$D/openams.db" 'SELECT count(*) FROM audit')
HEAD=$(sqlite3 "$D/openams.db" 'SELECT hash FROM audit ORDER BY seq DESC LIMIT 1')
check_eq "audit verify reports the record count and head" "$out" "audit log intact: $rows records, head $HEAD"
check "the log has at least 5 records to tamper with" test "$rows" -ge 5
check_not "the append-only trigger refuses UPDATE" sqlite3 "$D/openams.db" "UPDATE audit SET detail = 'x' WHERE seq = 2"
check_not "the append-only trigger refuses DELETE" sqlite3 "$D/openams.db" "DELETE FROM audit WHERE seq = 2"

# tamper NAME SQL EXPECTED-REGEX: on a copy, as an attacker: drop the triggers, run SQL.
tamper() {
	local name=$1 sql=$2 re=$3 c=$T/tamper-$1 rc=0 out
	cp -a "$D" "$c"
	sqlite3 "$c/openams.db" "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; $sql" || {
		nok "tamper $name: the SQL failed"
		return
	}
	out=$("$OPENAMS" audit verify --dir "$c" 2>&1) || rc=$?
	check_eq "audit verify detects: $name (exit 1)" "$rc" 1
	check_match "... names it: $name" "$out" "$re"
}
tamper "changed detail" "UPDATE audit SET detail = detail || ' ' WHERE seq = 3" "record 3.*changed"
tamper "changed actor" "UPDATE audit SET actor = 'nobody' WHERE seq = 2" "record 2.*changed"
tamper "changed time" "UPDATE audit SET at = at - 86400 WHERE seq = 4" "record 4.*changed"
tamper "changed hash of the last record" "UPDATE audit SET hash = '$(printf %064d 0)' WHERE seq = $rows" "record $rows"
tamper "deleted middle record" "DELETE FROM audit WHERE seq = 3" "record 3.*missing"
tamper "deleted first record" "DELETE FROM audit WHERE seq = 1" "record 1"
tamper "swapped records 2 and 3" "
	CREATE TEMP TABLE t AS SELECT * FROM audit WHERE seq IN (2, 3);
	DELETE FROM audit WHERE seq IN (2, 3);
	INSERT INTO audit SELECT CASE seq WHEN 2 THEN 3 ELSE 2 END, at, actor, action, object, detail, prev_hash, hash FROM t;" \
	"record 2"
tamper "swapped contents, hashes kept in place" "
	CREATE TEMP TABLE t AS SELECT * FROM audit WHERE seq IN (2, 3);
	UPDATE audit SET (at, actor, action, object, detail) =
	  (SELECT at, actor, action, object, detail FROM t WHERE t.seq = CASE audit.seq WHEN 2 THEN 3 ELSE 2 END)
	  WHERE seq IN (2, 3);" "record 2.*changed"
tamper "renumbered (record 3 deleted, later ones shifted down)" "
	DELETE FROM audit WHERE seq = 3; UPDATE audit SET seq = seq - 1 WHERE seq > 3;" "record 3"
# Truncating the tail keeps a valid chain: only the head hash kept elsewhere shows it.
c=$T/tamper-tail
cp -a "$D" "$c"
sqlite3 "$c/openams.db" "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq = $rows"
out=$("$OPENAMS" audit verify --dir "$c" 2>&1 || true)
check_match "truncated tail: verify reports $((rows - 1)) records" "$out" "$((rows - 1)) records"
check_not "truncated tail: the head hash differs from the one kept" grep -q "$HEAD" <<<"$out"
check "the original instance still verifies" "$OPENAMS" audit verify --dir "$D"

finish
