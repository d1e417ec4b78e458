#!/bin/bash
# tsa.sh - the RFC 3161 time-stamping authority, checked by OpenSSL's `ts`:
# the TSA certificate made by init (critical timeStamping EKU alone, issued
# by the issuing CA, a chain OpenSSL accepts for time-stamping), replies over
# HTTP (POST /tsa) and from `openams sign timestamp` that `openssl ts
# -verify` accepts (with and without nonce and certReq, SHA-256/384/512),
# rejections a client can read (an unsupported digest, another policy, a
# request that does not parse), HTTP errors in JSON (wrong Content-Type,
# too large, wrong method), genTime from the clock hook, unique serials,
# and a B-T PDF signature whose embedded token openssl verifies.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

setup_instance
"$OPENAMS" ca chain --dir "$D" >chain.pem
"$OPENAMS" ca chain --dir "$D" --root >root.pem

# ---- the TSA certificate -------------------------------------------------
check "init made the TSA key and certificate" test -s "$D/keys/tsa.key" -a -s "$P/tsa.crt"
check_eq "the TSA key is the owner's alone" "$(stat -c %a "$D/keys/tsa.key")" 600
txt=$(openssl x509 -in "$P/tsa.crt" -noout -text)
check_match "TSA: extended key usage is critical" "$txt" "X509v3 Extended Key Usage: critical"
check_eq "TSA: the EKU is time stamping alone" \
	"$(grep -A1 'Extended Key Usage' <<<"$txt" | tail -1 | tr -d ' ')" "TimeStamping"
check_match "TSA: key usage digitalSignature, critical" "$(grep -A1 'X509v3 Key Usage: critical' <<<"$txt")" "Digital Signature"
check_match "TSA: not a CA" "$txt" "CA:FALSE"
check_match "TSA: issued by the issuing CA" "$(openssl x509 -in "$P/tsa.crt" -noout -issuer)" \
	"$(openssl x509 -in "$P/issuing.crt" -noout -subject | sed 's/^subject=//')"
check "openssl verify -purpose timestampsign: the TSA chains to the root" \
	openssl verify -purpose timestampsign -CAfile root.pem -untrusted chain.pem "$P/tsa.crt"
check_match "init's audit record of the TSA" \
	"$(sqlite3 "$D/openams.db" "SELECT detail FROM audit WHERE action = 'ca.create' AND object = 'tsa'")" \
	"^role=tsa serial=0*$(serial_of "$P/tsa.crt" | sed 's/^0*//') "

# ---- from the command line -----------------------------------------------
printf 'Surat Keputusan Bupati nomor 7\n' >doc.txt
openssl ts -query -data doc.txt -sha256 -cert -out q1.tsq 2>/dev/null
check "sign timestamp answers a request" "$OPENAMS" sign timestamp --dir "$D" --in q1.tsq --out r1.tsr
check "openssl ts -verify accepts the reply" \
	openssl ts -verify -data doc.txt -in r1.tsr -CAfile root.pem -untrusted chain.pem
reply=$(openssl ts -reply -in r1.tsr -text 2>/dev/null)
check_match "granted" "$reply" "Status: Granted"
check_match "the default policy (ETSI best practices)" "$reply" "Policy OID: 0.4.0.2023.1.1"
check_match "the nonce is echoed" "$reply" "Nonce: 0x"
check_match "accuracy one second" "$reply" "Accuracy: 0x01 seconds"
check_match "the TSA names itself" "$reply" "TSA: DirName:.*TSA"
printf 'another\n' >doc2.txt

# ---- over HTTP -----------------------------------------------------------
PORT=$(free_port)
start_server "$D" "$PORT" "$T/serve.log"
post() { # post FILE OUT [content-type]: the HTTP status
	curl -sS -o "$2" -w '%{http_code}' -H "Content-Type: ${3:-application/timestamp-query}" \
		--data-binary @"$1" "$BASE/tsa"
}
for md in sha256 sha384 sha512; do
	openssl ts -query -data doc2.txt -"$md" -cert -out "q-$md.tsq" 2>/dev/null
	check_eq "POST /tsa ($md): 200" "$(post "q-$md.tsq" "r-$md.tsr")" 200
	check "openssl ts -verify ($md)" openssl ts -verify -data doc2.txt -in "r-$md.tsr" \
		-CAfile root.pem -untrusted chain.pem
done
ctype=$(curl -sS -o /dev/null -w '%{content_type}' -H 'Content-Type: application/timestamp-query' \
	--data-binary @q-sha256.tsq "$BASE/tsa")
check_eq "Content-Type: application/timestamp-reply" "$ctype" "application/timestamp-reply"
openssl ts -query -data doc2.txt -sha256 -no_nonce -out q-nn.tsq 2>/dev/null
check_eq "a request without nonce or certReq: 200" "$(post q-nn.tsq r-nn.tsr)" 200
cat "$P/tsa.crt" chain.pem >tsa-chain.pem
check "... verifies with the TSA certificate given apart" openssl ts -verify -data doc2.txt \
	-in r-nn.tsr -CAfile root.pem -untrusted tsa-chain.pem
check_nomatch "... and carries no nonce" "$(openssl ts -reply -in r-nn.tsr -text 2>/dev/null)" "Nonce: 0x"
s1=$(openssl ts -reply -in r-sha256.tsr -text 2>/dev/null | sed -n 's/^Serial number: //p')
s2=$(openssl ts -reply -in r-nn.tsr -text 2>/dev/null | sed -n 's/^Serial number: //p')
check "two tokens have different serials ($s1, $s2)" test -n "$s1" -a "$s1" != "$s2"

# rejections: RFC 3161 answers them with a status, not an HTTP error
openssl ts -query -data doc2.txt -sha1 -out q-sha1.tsq 2>/dev/null
check_eq "SHA-1 imprint: 200" "$(post q-sha1.tsq r-sha1.tsr)" 200
out=$(openssl ts -reply -in r-sha1.tsr -text 2>/dev/null)
check_match "SHA-1 imprint: rejected" "$out" "Status: Rejected"
check_match "SHA-1 imprint: badAlg" "$out" "unrecognized or unsupported algorithm"
openssl ts -query -data doc2.txt -sha256 -tspolicy 1.2.3.4 -out q-pol.tsq 2>/dev/null
check_eq "another policy: 200" "$(post q-pol.tsq r-pol.tsr)" 200
check_match "another policy: unacceptedPolicy" "$(openssl ts -reply -in r-pol.tsr -text 2>/dev/null)" \
	"TSA policy is not supported"
printf 'not a request' >junk.tsq
check_eq "a body that is no request: 200" "$(post junk.tsq r-junk.tsr)" 200
check_match "... with a rejection (bad data format)" "$(openssl ts -reply -in r-junk.tsr -text 2>/dev/null)" \
	"Status: Rejected"
check_eq "wrong Content-Type: 415" "$(post q-sha256.tsq e415.json application/octet-stream)" 415
check_match "... a JSON error" "$(cat e415.json)" '"code": *"unsupported_media_type"'
head -c 20000 /dev/urandom >big.tsq
check_eq "a request over 8 KiB: 413" "$(post big.tsq e413.json)" 413
check_eq "GET /tsa: 405" "$(curl -sS -o /dev/null -w '%{http_code}' "$BASE/tsa")" 405
stop_server || true

# ---- the clock: genTime is the signer's, under the clock hook -------------
gen=$(OPENAMS_NOW=2027-03-01T08:00:00Z "$OPENAMS" sign timestamp --dir "$D" --in q1.tsq --out r-clock.tsr &&
	openssl ts -reply -in r-clock.tsr -text 2>/dev/null | sed -n 's/^Time stamp: //p')
check_match "genTime follows OPENAMS_NOW" "$gen" "^Mar  1 08:00:00 2027 GMT$"

# ---- a B-T signature on a PDF --------------------------------------------
csr ec-p256 budi "/C=ID/O=Dinas Kominfo/CN=Budi Santoso" 2>/dev/null
"$OPENAMS" ca issue --dir "$D" --csr budi.csr --nik 3201010101800001 --email budi@kominfo.go.id \
	--out budi.pem >/dev/null
"$PY" "$HERE/../sign/mkpdf.py" in.pdf 1
check "sign pdf --level B-T with a key file, time-stamped by the instance's TSA" "$OPENAMS" sign pdf \
	--in in.pdf --out bt.pdf --key budi.key --cert budi.pem --chain chain.pem --level B-T --dir "$D"
out=$(pdfsig bt.pdf 2>&1 || true)
check_match "pdfsig: the B-T signature is valid" "$out" "Signature is Valid"
"$PY" "$HERE/../sign/byterange.py" bt.pdf 1 bt.bin bt.der >/dev/null
imprint=$("$PY" "$HERE/../sign/tst_extract.py" bt.der tok.der)
check "the SignerInfo carries a signature-time-stamp token" test -s tok.der
check "openssl ts -verify: the token covers the signature value" openssl ts -verify -in tok.der \
	-token_in -digest "$imprint" -CAfile root.pem -untrusted chain.pem
check "openssl cms -verify: the signature itself still verifies" openssl cms -verify -binary \
	-inform DER -in bt.der -content bt.bin -CAfile root.pem -out /dev/null
out=$("$OPENAMS" sign verify --dir "$D" --in bt.pdf)
check_match "sign verify: time-stamp valid" "$out" "time-stamp: valid"
check "sign pdf --level B-B: no token" "$OPENAMS" sign pdf --in in.pdf --out bb.pdf --key budi.key \
	--cert budi.pem --chain chain.pem
"$PY" "$HERE/../sign/byterange.py" bb.pdf 1 bb.bin bb.der >/dev/null
check_not "... the B-B signature has no unsigned attribute" "$PY" "$HERE/../sign/tst_extract.py" bb.der none.der

finish
