#!/bin/bash
# hostile.sh - hostile certificate requests.  Each one must be refused with
# exit status 1 and "openams: CODE: message" on stderr, and leave the store
# (a full sqlite3 .dump, audit rows included) and the data directory's files
# exactly as they were.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

setup_instance
EM=budi@kominfo.go.id
NIK=3201010101800001

# Keys of every kind a hostile client might bring.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out p256.key
csr ec-p256 valid "/C=ID/O=Dinas Kominfo/CN=Budi Santoso" 2>/dev/null
openssl req -in valid.csr -outform DER -out valid.der

# A baseline issuance proves the instance works and the flags are right.
issue_ok "baseline: a valid CSR is issued" base.pem --dir "$D" --csr valid.der --nik 3201010101809999 --email "$EM"
BASE=$(serial_of base.pem)

iss() { "$OPENAMS" ca issue --dir "$D" "$@" --out "$T/out.pem"; }

# ---- the CSR itself -------------------------------------------------------
cp valid.der badsig.der
"$PY" -c "import sys; b=bytearray(open('badsig.der','rb').read()); b[-1]^=0x5a; open('badsig.der','wb').write(b)"
refused "bad signature (last byte of the DER flipped)" "$D" invalid_input "signature does not verify|proof of possession" \
	iss --csr badsig.der --nik $NIK --email $EM
# Flip a byte inside the subject instead: the signature no longer covers it.
"$PY" -c "import sys; b=bytearray(open('valid.der','rb').read()); i=b.find(b'Budi'); b[i]=ord('X'); open('badsubj.der','wb').write(b)"
refused "subject changed after signing" "$D" invalid_input "signature does not verify|proof of possession" \
	iss --csr badsubj.der --nik $NIK --email $EM

for k in ed25519 ec-p521 rsa-1024; do
	csr $k k-$k "/C=ID/O=Dinas Kominfo/CN=Budi Santoso" 2>/dev/null
	refused "unsupported key: $k" "$D" invalid_input "key type is not supported" iss --csr k-$k.csr --nik $NIK --email $EM
done
if openssl genpkey -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:2048 -out dsa.param 2>/dev/null &&
	openssl genpkey -paramfile dsa.param -out dsa.key 2>/dev/null &&
	openssl req -new -key dsa.key -subj "/C=ID/O=Dinas Kominfo/CN=Budi Santoso" -out dsa.csr 2>/dev/null; then
	refused "unsupported key: DSA 2048" "$D" invalid_input "key type is not supported" iss --csr dsa.csr --nik $NIK --email $EM
else
	ok "# SKIP DSA: openssl cannot make a DSA CSR here"
fi
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -pkeyopt rsa_keygen_pubexp:3 -out e3.key 2>/dev/null
openssl req -new -key e3.key -subj "/C=ID/O=Dinas Kominfo/CN=Budi Santoso" -out e3.csr
refused "RSA 2048 with public exponent 3" "$D" "(lint|invalid_input)" "exponent|not supported" iss --csr e3.csr --nik $NIK --email $EM

head -c 600 /dev/urandom >garbage.der
refused "garbage bytes" "$D" invalid_input "not a PKCS#10" iss --csr garbage.der --nik $NIK --email $EM
printf '\x30\x82\xff\xff\x30\x82\xff\xf0' >hugelen.der
refused "DER with a length beyond the file" "$D" invalid_input "not a PKCS#10" iss --csr hugelen.der --nik $NIK --email $EM
head -c 100 valid.der >truncated.der
refused "truncated DER" "$D" invalid_input "not a PKCS#10" iss --csr truncated.der --nik $NIK --email $EM
{ cat valid.der; printf 'TRAILER'; } >trailing.der
refused "trailing data after the DER" "$D" invalid_input "trailing data" iss --csr trailing.der --nik $NIK --email $EM
{ cat valid.der valid.der; } >twice.der
refused "two CSRs back to back" "$D" invalid_input "trailing data" iss --csr twice.der --nik $NIK --email $EM
sed '2s/^..../@@@@/' valid.csr >badpem.csr
refused "PEM with corrupted base64" "$D" invalid_input "not a PKCS#10" iss --csr badpem.csr --nik $NIK --email $EM
printf -- '-----BEGIN CERTIFICATE REQUEST-----\n-----END CERTIFICATE REQUEST-----\n' >emptypem.csr
refused "PEM with no body" "$D" invalid_input "not a PKCS#10" iss --csr emptypem.csr --nik $NIK --email $EM
: >empty.der
refused "empty file" "$D" invalid_input "empty" iss --csr empty.der --nik $NIK --email $EM
{ cat valid.csr; head -c 70000 /dev/zero | tr '\0' 'A'; } >big.csr
refused "file over 64 KiB" "$D" limit "larger than" iss --csr big.csr --nik $NIK --email $EM
head -c 65537 /dev/zero >big0.der
refused "65537 zero bytes" "$D" limit "larger than" iss --csr big0.der --nik $NIK --email $EM
refused "a directory as CSR" "$D" "(io|invalid_input)" "." iss --csr "$T" --nik $NIK --email $EM
refused "a missing CSR file" "$D" not_found "no-such" iss --csr "$T/no-such.csr" --nik $NIK --email $EM

# Hand-built CSRs (csrtool.py), each properly signed, one defect each.
hb() { "$PY" "$HERE/csrtool.py" "$1" p256.key "$1.der"; }
for c in valid many-attrs many-attrs-huge huge-cn long-cn-65 unknown-attr title-attr ctrl-cn newline-cn \
	bad-utf8-cn overlong-utf8-cn nul-cn multi-rdn dup-cn san-crlf san-comma san-not-goid email-attr-crlf; do
	hb $c
done
issue_ok "hand-built CSR without defects is issued (control)" hb.pem --dir "$D" --csr valid.der --nik 3201010101809998 --email "$EM"
refused "40 subject attributes" "$D" limit "attributes, limit" iss --csr many-attrs.der --nik $NIK --email $EM
refused "3000 subject attributes (48 KB)" "$D" limit "attributes, limit" iss --csr many-attrs-huge.der --nik $NIK --email $EM
refused "CN of 10 KB" "$D" invalid_input "CN is longer than 64" iss --csr huge-cn.der --nik $NIK --email $EM
refused "CN of 65 characters" "$D" invalid_input "CN is longer than 64" iss --csr long-cn-65.der --nik $NIK --email $EM
refused "unknown subject attribute (private OID)" "$D" invalid_input "not accepted" iss --csr unknown-attr.der --nik $NIK --email $EM
refused "subject attribute not in the profile (title)" "$D" invalid_input "title is not accepted" iss --csr title-attr.der --nik $NIK --email $EM
refused "control characters (BEL, ESC) in CN" "$D" invalid_input "control characters" iss --csr ctrl-cn.der --nik $NIK --email $EM
refused "newline in CN" "$D" invalid_input "control characters" iss --csr newline-cn.der --nik $NIK --email $EM
refused "invalid UTF-8 in CN" "$D" invalid_input "UTF-?8|PKCS#10" iss --csr bad-utf8-cn.der --nik $NIK --email $EM
refused "overlong UTF-8 in CN" "$D" invalid_input "UTF-?8|PKCS#10" iss --csr overlong-utf8-cn.der --nik $NIK --email $EM
refused "NUL byte in CN" "$D" invalid_input "NUL" iss --csr nul-cn.der --nik $NIK --email $EM
refused "multi-valued RDN" "$D" invalid_input "multi-valued" iss --csr multi-rdn.der --nik $NIK --email $EM
refused "CN twice" "$D" invalid_input "twice" iss --csr dup-cn.der --nik $NIK --email $EM
refused "CR/LF in the requested subjectAltName e-mail" "$D" lint "e_san_email_syntax" iss --csr san-crlf.der --nik $NIK
refused "comma in the requested subjectAltName e-mail" "$D" lint "e_san_email_syntax" iss --csr san-comma.der --nik $NIK
refused "requested e-mail not on .go.id" "$D" lint "e_san_email_domain" iss --csr san-not-goid.der --nik $NIK
refused "CR/LF in the subject emailAddress" "$D" invalid_input "control characters" iss --csr email-attr-crlf.der --nik $NIK

# Subjects that parse but break the profile (lint rules).
openssl req -new -key p256.key -subj "/C=US/O=Dinas Kominfo/CN=Budi" -out us.csr
refused "country other than ID" "$D" lint "e_subject_country" iss --csr us.csr --nik $NIK --email $EM
openssl req -new -key p256.key -subj "/C=ID/O=Dinas Kominfo/CN= Budi " -out space.csr
refused "CN with leading and trailing spaces" "$D" lint "e_subject_attr_whitespace" iss --csr space.csr --nik $NIK --email $EM
openssl req -new -key p256.key -subj "/C=ID/CN=Budi" -out noorg.csr
refused "no O (required by the profile)" "$D" lint "e_subject_attr_missing" iss --csr noorg.csr --nik $NIK --email $EM
refused "--name '' empties the required CN" "$D" lint "e_subject_attr_missing" iss --csr valid.der --nik $NIK --email $EM --name ""

# ---- values given as flags ----------------------------------------------------
refused "--name with ESC" "$D" invalid_input "control characters" iss --csr valid.der --nik $NIK --email $EM --name $'Budi\x1b[31mSantoso'
refused "--name with invalid UTF-8" "$D" invalid_input "invalid UTF-8" iss --csr valid.der --nik $NIK --email $EM --name $'Budi \xff\xfe'
refused "--org of 10 KB" "$D" invalid_input "longer than" iss --csr valid.der --nik $NIK --email $EM --org "$(head -c 10240 /dev/zero | tr '\0' O)"
refused "NIK of 15 digits" "$D" invalid_input "NIK must be exactly 16 digits" iss --csr valid.der --nik 320101010180000 --email $EM
refused "NIK of 17 digits" "$D" invalid_input "NIK" iss --csr valid.der --nik 32010101018000011 --email $EM
refused "NIK with a letter" "$D" invalid_input "NIK must be exactly 16 digits" iss --csr valid.der --nik 320101010180000X --email $EM
refused "NIK with a space" "$D" invalid_input "NIK" iss --csr valid.der --nik "3201010101 80000" --email $EM
refused "NIP of 17 digits" "$D" invalid_input "NIP must be exactly 18 digits" iss --csr valid.der --nik $NIK --nip 19800101200501100 --email $EM
refused "individual without NIK" "$D" invalid_input "needs the applicant's NIK" iss --csr valid.der --email $EM
refused "individual without e-mail" "$D" invalid_input "needs an e-mail" iss --csr valid.der --nik $NIK
refused "e-mail not on .go.id (policy)" "$D" lint "e_san_email_domain" iss --csr valid.der --nik $NIK --email budi@gmail.com
refused "e-mail on go.id.evil.com" "$D" lint "e_san_email_domain" iss --csr valid.der --nik $NIK --email budi@kominfo.go.id.evil.com
refused "e-mail on a domain ending in go.id without the dot" "$D" lint "e_san_email_domain" iss --csr valid.der --nik $NIK --email budi@xgo.id
refused "e-mail with CR/LF" "$D" invalid_input "control characters" iss --csr valid.der --nik $NIK --email $'budi@kominfo.go.id\r\nBcc: x@evil.com'
refused "e-mail with a comma" "$D" lint "e_san_email_syntax" iss --csr valid.der --nik $NIK --email 'budi,evil@kominfo.go.id'
refused "e-mail with two @" "$D" lint "e_san_email_syntax" iss --csr valid.der --nik $NIK --email 'a@b@kominfo.go.id'
refused "e-mail of 129+ characters" "$D" "(invalid_input|lint)" "longer|length" iss --csr valid.der --nik $NIK --email "$(head -c 130 /dev/zero | tr '\0' a)@kominfo.go.id"
refused "unknown profile" "$D" invalid_input "unknown profile" iss --csr valid.der --nik $NIK --email $EM --profile root
refused "--days 4000 (beyond any profile maximum)" "$D" "(invalid_input|lint)" "4000" iss --csr valid.der --nik $NIK --email $EM --days 4000
refused "--days 732 (individual maximum is 731)" "$D" lint "e_validity_too_long" iss --csr valid.der --nik $NIK --email $EM --days 732
refused "seal --days 1097 (seal maximum is 1096)" "$D" lint "e_validity_too_long" iss --csr valid.der --profile seal --days 1097

# ---- one active certificate per NIK ---------------------------------------------
issue_ok "first certificate for NIK $NIK" first.pem --dir "$D" --csr valid.der --nik $NIK --email $EM
FIRST=$(serial_of first.pem)
csr ec-p256 second "/C=ID/O=Dinas Kominfo/CN=Budi Santoso" 2>/dev/null
refused "second certificate for the same NIK names the blocking serial" "$D" policy "$FIRST" \
	iss --csr second.csr --nik $NIK --email $EM
hb valid >/dev/null
refused "same NIK given as PNOID- in the CSR's serialNumber" "$D" policy "$FIRST" \
	bash -c "openssl req -new -key second.key -subj '/C=ID/O=Dinas Kominfo/CN=Budi/serialNumber=PNOID-$NIK' -out sn.csr && \
	'$OPENAMS' ca issue --dir '$D' --csr sn.csr --email $EM --out /dev/null"
refused "same NIK with a server-generated key" "$D" policy "$FIRST" \
	bash -c "printf 'passphrase-123\n' >kp && '$OPENAMS' ca issue --dir '$D' --keygen ec-p256 --key-out '$T/dupkey.pem' \
	--key-pass-file kp --name Budi --org Dinas --nik $NIK --email $EM --out /dev/null"
check_not "the refused server key was not left behind" test -e "$T/dupkey.pem"

# ---- server-generated keys ---------------------------------------------------
printf 'short\n' >shortpass
refused "--keygen with a passphrase under 8 characters" "$D" invalid_input "at least 8" \
	"$OPENAMS" ca issue --dir "$D" --keygen ec-p256 --key-out "$T/k1.pem" --key-pass-file shortpass \
	--name Budi --org Dinas --nik 3201010101800077 --email $EM
check_not "no key file after the short passphrase" test -e "$T/k1.pem"
printf 'long-enough-passphrase\n' >pass
refused "--keygen with a bad NIK" "$D" invalid_input "NIK" \
	"$OPENAMS" ca issue --dir "$D" --keygen ec-p256 --key-out "$T/k2.pem" --key-pass-file pass \
	--name Budi --org Dinas --nik 123 --email $EM
check_not "no key file after the refusal" test -e "$T/k2.pem"
# An existing file at --key-out (another holder's key, say) must survive a refusal.
echo "precious: another holder's key" >existing.pem
refused "--keygen refused while --key-out names an existing file" "$D" exists "never overwritten" \
	"$OPENAMS" ca issue --dir "$D" --keygen ec-p256 --key-out "$T/existing.pem" --key-pass-file pass \
	--name Budi --org Dinas --nik 123 --email $EM
refused "--keygen with a valid request still never overwrites a key file" "$D" exists "never overwritten" \
	"$OPENAMS" ca issue --dir "$D" --keygen ec-p256 --key-out "$T/existing.pem" --key-pass-file pass \
	--name Budi --org Dinas --nik 3201010101800078 --email $EM
check_eq "the existing --key-out file is intact after the refusal" "$(cat existing.pem 2>&1)" "precious: another holder's key"

# ---- validity beyond the issuing CA's end -------------------------------------
printf 'ca.issuing_validity_days = 365\n' >short.conf
D2=$T/short
new_instance "$D2" --config short.conf
csr ec-p256 seal "/C=ID/O=Dinas Kominfo/CN=Segel Dinas" 2>/dev/null
refused "seal --days 1000 under an issuing CA that ends in 365 days" "$D2" lint "e_validity_outside_issuer" \
	"$OPENAMS" ca issue --dir "$D2" --csr seal.csr --profile seal --days 1000 --out /dev/null
refused "individual (730 days default) under an issuing CA that ends in 365 days" "$D2" lint "e_validity_outside_issuer" \
	"$OPENAMS" ca issue --dir "$D2" --csr valid.der --nik $NIK --email $EM --out /dev/null
issue_ok "seal --days 300 fits inside the issuing CA" s300.pem --dir "$D2" --csr seal.csr --profile seal --days 300

# ---- afterwards ----------------------------------------------------------------
check_eq "exactly the certificates that were accepted exist" \
	"$("$OPENAMS" ca list --dir "$D" | cut -f1 | sort | tr '\n' ' ')" \
	"$(printf '%s\n' "$BASE" "$(serial_of hb.pem)" "$FIRST" | sort | tr '\n' ' ')"
check_eq "audit records: init + 3 issuances" \
	"$(sqlite3 "$D/openams.db" "SELECT count(*) FROM audit WHERE action = 'cert.issue'")" 3
check "audit verify passes" "$OPENAMS" audit verify --dir "$D"
check "CA still signs after all refusals" openssl verify -CAfile "$D/pki/root.crt" -untrusted "$D/pki/issuing.crt" first.pem

finish
