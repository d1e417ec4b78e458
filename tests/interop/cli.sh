#!/bin/bash
# cli.sh - the output formats `openams ca --help` documents: status (key:
# value lines), list (tab-separated: serial status not_after profile nik cn)
# with --status, --nik and --expiring, cert [--der], chain [--root].
set -euo pipefail
. "$(dirname "$0")/lib.sh"

setup_instance
help=$("$OPENAMS" ca --help)
check_match "ca --help documents the list format" "$help" "serial status not_after profile nik cn"

iso() { date -u -d "$(openssl x509 -in "$1" -noout -"$2" | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ; }

csr ec-p256 a "/C=ID/O=Dinas Kominfo/OU=Persandian/CN=Budi Santoso" 2>/dev/null
issue_ok "issue A (individual, NIP)" a.pem --dir "$D" --csr a.csr --nik 3201010101800001 --nip 198001012005011001 --email budi@kominfo.go.id
sleep 1
csr ec-p256 b "/C=ID/O=Dinas Kominfo/CN=Segel Dinas" 2>/dev/null
issue_ok "issue B (seal, 10 days)" b.pem --dir "$D" --csr b.csr --profile seal --days 10
sleep 1
csr ec-p384 c "/C=ID/O=Dinas Kominfo/CN=Ani Lestari" 2>/dev/null
issue_ok "issue C (individual, P-384, 20 days)" c.pem --dir "$D" --csr c.csr --nik 3201010101800002 --email ani@kominfo.go.id --days 20
A=$(serial_of a.pem) B=$(serial_of b.pem) C=$(serial_of c.pem)
# The invalidity date lies between C's notBefore and now (RFC 5280 5.3.2).
INV=$(date -u +%Y-%m-%dT%H:%M:%SZ)
check "revoke C" "$OPENAMS" ca revoke "$C" --dir "$D" --reason affiliationChanged --invalidity-date "$INV"

# ---- status ------------------------------------------------------------------
st=$("$OPENAMS" ca status "$A" --dir "$D")
want="serial: $A
status: active
profile: individual
subject: UID=198001012005011001,serialNumber=PNOID-3201010101800001,CN=Budi Santoso,OU=Persandian,O=Dinas Kominfo,C=ID
nik: 3201010101800001
nip: 198001012005011001
email: budi@kominfo.go.id
key_type: ec-p256
not_before: $(iso a.pem startdate)
not_after: $(iso a.pem enddate)"
check_eq "status A: documented keys in order, values match the certificate" "$(head -n 10 <<<"$st")" "$want"
check_match "status A: issued_at is ISO 8601 UTC" "$(tail -n 1 <<<"$st")" '^issued_at: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'
check_eq "status A: 11 lines, no revocation keys" "$(wc -l <<<"$st")" 11
st=$("$OPENAMS" ca status "$B" --dir "$D")
check_eq "status B (seal): no nik/nip/email lines" "$(cut -d: -f1 <<<"$st" | tr '\n' ' ')" \
	"serial status profile subject key_type not_before not_after issued_at "
check_match "status B: profile seal" "$st" $'^profile: seal$'
st=$("$OPENAMS" ca status "$C" --dir "$D")
check_eq "status C (revoked): keys in order" "$(cut -d: -f1 <<<"$st" | tr '\n' ' ')" \
	"serial status profile subject nik email key_type not_before not_after issued_at revoked_at reason invalidity_date "
check_match "status C: key_type ec-p384" "$st" $'^key_type: ec-p384$'
check_match "status C: reason affiliationChanged" "$st" $'^reason: affiliationChanged$'
check_match "status C: invalidity_date" "$st" "^invalidity_date: $INV\$"
check_match "status C: status revoked" "$st" $'^status: revoked$'
check_eq "status accepts 0x, colons and upper case" \
	"$("$OPENAMS" ca status "0x$(sed 's/../&:/g; s/:$//' <<<"$A" | tr a-f A-F)" --dir "$D")" "$("$OPENAMS" ca status "$A" --dir "$D")"
refused "status of an unknown serial" "$D" not_found "no certificate" "$OPENAMS" ca status 7f0102 --dir "$D"
refused "status of a malformed serial" "$D" invalid_input "not a serial" "$OPENAMS" ca status 'abc;drop' --dir "$D"

# ---- list ----------------------------------------------------------------------
row() { printf '%s\t%s\t%s\t%s\t%s\t%s' "$1" "$2" "$(iso "$3" enddate)" "$4" "$5" "$6"; }
RA=$(row "$A" active a.pem individual 3201010101800001 "Budi Santoso")
RB=$(row "$B" active b.pem seal - "Segel Dinas")
RC=$(row "$C" revoked c.pem individual 3201010101800002 "Ani Lestari")
check_eq "list: all, in issue order, six tab-separated fields" "$("$OPENAMS" ca list --dir "$D")" "$RA
$RB
$RC"
check_eq "list --status active" "$("$OPENAMS" ca list --dir "$D" --status active)" "$RA
$RB"
check_eq "list --status revoked" "$("$OPENAMS" ca list --dir "$D" --status revoked)" "$RC"
check_eq "list --status expired (none yet)" "$("$OPENAMS" ca list --dir "$D" --status expired)" ""
check_eq "list --nik" "$("$OPENAMS" ca list --dir "$D" --nik 3201010101800002)" "$RC"
check_eq "list --nik with no certificate" "$("$OPENAMS" ca list --dir "$D" --nik 3201010101899999)" ""
check_eq "list --expiring 30: active ones ending within 30 days (revoked C excluded)" "$("$OPENAMS" ca list --dir "$D" --expiring 30)" "$RB"
check_eq "list --expiring 5: none" "$("$OPENAMS" ca list --dir "$D" --expiring 5)" ""
check_eq "list --expiring 800" "$("$OPENAMS" ca list --dir "$D" --expiring 800)" "$RA
$RB"
check_eq "list --status active --nik combined" "$("$OPENAMS" ca list --dir "$D" --status active --nik 3201010101800001)" "$RA"
LATER=$(date -u -d '+15 days' +%Y-%m-%dT%H:%M:%SZ)
check_eq "15 days later: --status expired shows B (expiry by time)" \
	"$(OPENAMS_NOW=$LATER "$OPENAMS" ca list --dir "$D" --status expired | cut -f1,2)" "$(printf '%s\texpired' "$B")"
check_eq "15 days later: --status active shows only A" \
	"$(OPENAMS_NOW=$LATER "$OPENAMS" ca list --dir "$D" --status active | cut -f1)" "$A"
refused "list --status bogus" "$D" invalid_input "status must be" "$OPENAMS" ca list --dir "$D" --status bogus
refused "list --nik of 15 digits" "$D" invalid_input "16 digits" "$OPENAMS" ca list --dir "$D" --nik 320101010180000
rc=0
"$OPENAMS" ca list --dir "$D" --expiring 0 >/dev/null 2>&1 || rc=$?
check_eq "list --expiring 0 is a usage error (exit 2)" "$rc" 2
rc=0
"$OPENAMS" ca list --dir "$D" --expiring x >/dev/null 2>&1 || rc=$?
check_eq "list --expiring x is a usage error (exit 2)" "$rc" 2

# ---- cert and chain ---------------------------------------------------------------
check "cert SERIAL prints the issued PEM" cmp -s <("$OPENAMS" ca cert "$A" --dir "$D") a.pem
check "cert SERIAL --der prints the DER" cmp -s <("$OPENAMS" ca cert "$A" --dir "$D" --der) <(openssl x509 -in a.pem -outform DER)
refused "cert of an unknown serial" "$D" not_found "no certificate" "$OPENAMS" ca cert 7f0102 --dir "$D"
"$OPENAMS" ca chain --dir "$D" >chain.pem
check_eq "chain: two certificates" "$(grep -c 'BEGIN CERTIFICATE' chain.pem)" 2
check_match "chain: first the issuing CA" "$(openssl x509 -in chain.pem -noout -subject -nameopt RFC2253)" "^subject=CN=kominfo Issuing CA [0-9A-F]{8},O=openams,C=ID$"
check "chain: equals issuing.crt then root.crt" cmp -s chain.pem <(cat "$P/issuing.crt" "$P/root.crt")
"$OPENAMS" ca chain --dir "$D" --root >root.pem
check "chain --root: the root alone" cmp -s root.pem "$P/root.crt"
check_eq "chain --root: one certificate" "$(grep -c 'BEGIN CERTIFICATE' root.pem)" 1
check "chain output verifies a leaf" openssl verify -CAfile root.pem -untrusted chain.pem a.pem
"$OPENAMS" ca chain --dir "$D" --out chain2.pem
check "chain --out FILE writes the same" cmp -s chain.pem chain2.pem

# ---- exit statuses ------------------------------------------------------------------
rc=0; "$OPENAMS" ca frobnicate --dir "$D" >/dev/null 2>&1 || rc=$?
check_eq "unknown ca command: exit 2" "$rc" 2
rc=0; "$OPENAMS" ca issue --dir "$D" >/dev/null 2>&1 || rc=$?
check_eq "ca issue without --csr/--keygen: exit 2" "$rc" 2
rc=0; "$OPENAMS" ca status --dir "$T/nowhere" "$A" >/dev/null 2>"$T/err" || rc=$?
check_eq "ca status on a missing data dir: exit 1" "$rc" 1
check_match "... with openams: CODE:" "$(cat "$T/err")" "^openams: [a-z_]+: "
check_not "... and does not create the data dir" test -e "$T/nowhere"

# ---- calendar validity (security review, issue 16) ------------------------------
# Two calendar years less one second, as the national CA does; not 730 days.
epoch() { date -u -d "$(openssl x509 -in "$1" -noout -"$2" | cut -d= -f2)" +%s; }
nb=$(epoch a.pem startdate)
check_eq "A: notAfter = notBefore + 2 calendar years - 1 s" "$(epoch a.pem enddate)" \
	"$(date -u -d "$(date -u -d @"$nb" '+%Y-%m-%d %H:%M:%S') UTC +2 years -1 second" +%s)"
csr ec-p256 f "/C=ID/O=Dinas Kominfo/CN=Fajar Nugroho" 2>/dev/null
OPENAMS_NOW=2028-02-29T12:00:00Z issue_ok "issue F on 29 February 2028 (OPENAMS_NOW)" f.pem --dir "$D" \
	--csr f.csr --nik 3201010101800009 --email fajar@kominfo.go.id
check_eq "F: notBefore" "$(openssl x509 -in f.pem -noout -startdate)" "notBefore=Feb 29 12:00:00 2028 GMT"
check_eq "F: notAfter on the last day of February 2030, less one second" \
	"$(openssl x509 -in f.pem -noout -enddate)" "notAfter=Feb 28 11:59:59 2030 GMT"
check_match "F: ca status agrees" "$("$OPENAMS" ca status "$(serial_of f.pem)" --dir "$D")" \
	'^not_after: 2030-02-28T11:59:59Z$'
csr ec-p256 g "/C=ID/O=Dinas Kominfo/CN=Gita" 2>/dev/null
OPENAMS_NOW=2027-01-31T00:00:00Z issue_ok "issue G (seal) on 31 January 2027" g.pem --dir "$D" \
	--csr g.csr --profile seal
check_eq "G: notAfter" "$(openssl x509 -in g.pem -noout -enddate)" "notAfter=Jan 30 23:59:59 2029 GMT"
check_eq "B (--days 10): still exactly 10 days" "$(($(epoch b.pem enddate) - $(epoch b.pem startdate)))" 864000

finish
