#!/bin/bash
# extroot.sh - an issuing CA under an external root (issue 19, item 4):
# a root made here with the openssl command line (its own key and config,
# anyPolicy), `openams init --external-root` (the issuing key and
# pki/issuing.csr only; nothing issued, no OCSP answer or CRL before the
# import, serve's /healthz answers 503 saying why), the request signed with `openssl x509 -req` asserting the
# instance's ca.policies, `openams ca import-issuing` (and what it refuses,
# changing nothing: another key, a non-CA certificate, a chain that does not
# verify, a chain without the policy, another subject, no root, a second
# import); then an end-entity certificate verified from the external root
# by OpenSSL (explicit policy), GnuTLS and NSS (vfychain -o), its OCSP
# answers and the CRL verified with openssl against the external root, a
# time-stamp and a B-T signature; and a second instance under an
# intermediate CA of the root.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

cd "$T"
P1=1.3.6.1.4.1.61234.1.1
O=("$OPENAMS")

# ---- the external root (openssl alone) ------------------------------------
cat >root.cnf <<EOF
[req]
distinguished_name = dn
prompt = no
x509_extensions = root_ext
[dn]
C = ID
O = Badan Siber dan Sandi Negara Uji
CN = Root CA Nasional Uji
[root_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
certificatePolicies = 2.5.29.32.0
[issuing]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
certificatePolicies = $P1
[otherpolicy]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
certificatePolicies = 1.2.3.4.5
[notca]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ca]
default_ca = rootca
[rootca]
database = $T/index.txt
crlnumber = $T/crlnumber
default_md = sha384
default_crl_days = 30
EOF
: >index.txt
echo 01 >crlnumber
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out root.key
openssl req -new -x509 -key root.key -config root.cnf -days 7300 -out root.crt
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out other.key
openssl req -new -x509 -key other.key -config root.cnf -subj "/C=ID/O=Lain/CN=Root Lain" \
	-days 3650 -out other-root.crt
openssl ca -config root.cnf -gencrl -keyfile root.key -cert root.crt -out root-crl.pem 2>/dev/null
check "the external root is self-signed and asserts anyPolicy" \
	bash -c "openssl x509 -in root.crt -noout -ext certificatePolicies | grep -q 'Any Policy'"

# ---- init --external-root ----------------------------------------------------
check_match "init --help names --external-root" "$("${O[@]}" init --help)" "--external-root"
check_match "ca --help names import-issuing" "$("${O[@]}" ca --help)" "import-issuing --cert FILE"
printf 'ca.policies = %s\n' "$P1" >pol.conf
D=$T/d
P=$D/pki
new_instance "$D" --external-root --config pol.conf --issuing-cn "Dinas Kominfo Issuing CA Uji"
check_match "init says where the request is" "$(cat "$T/.init.out")" "request: .*/pki/issuing.csr"
check_match "... and what comes next" "$(cat "$T/.init.out")" "openams ca import-issuing --dir"
check "no root key, an issuing key" bash -c "test ! -e $D/keys/root.key && test -s $D/keys/issuing.key"
check "no CA certificate yet" bash -c "test ! -e $P/issuing.crt && test ! -e $P/root.crt && test ! -e $P/chain.pem"
check "the request's self-signature verifies" openssl req -in "$P/issuing.csr" -noout -verify
req=$(openssl req -in "$P/issuing.csr" -noout -text)
check_match "the request's subject: C, O, CN=--issuing-cn" "$req" \
	"Subject: C = ID, O = [^,]+, CN = Dinas Kominfo Issuing CA Uji"
check_match "... asks for CA:TRUE pathlen:0 (critical)" "$(echo "$req" | grep -A1 'Basic Constraints' | tr -s '\n ' ' ')" \
	"critical.*CA:TRUE, pathlen:0"
check_match "... and keyCertSign, cRLSign (critical)" "$(echo "$req" | grep -A1 'Key Usage' | tr -s '\n ' ' ')" \
	"critical.*Certificate Sign, CRL Sign"
check_eq "... and the key in keys/issuing.key" \
	"$(openssl pkey -in "$D/keys/issuing.key" -passin "file:$D/secrets/ca.pass" -pubout)" \
	"$(openssl req -in "$P/issuing.csr" -noout -pubkey)"

# ---- before the import: nothing is signed ----------------------------------
csr ec-p256 ee "/C=ID/O=Dinas Kominfo/CN=Budi Santoso" 2>/dev/null
refused "ca issue before the import" "$D" state "issuing_ca_pending: .*import-issuing" \
	"${O[@]}" ca issue --dir "$D" --csr ee.csr --nik 3201011505900001 --email budi@kominfo.go.id
openssl ocsp -issuer root.crt -serial 0x01 -reqout early.req >/dev/null 2>&1
refused "ca ocsp before the import" "$D" state "issuing_ca_pending" \
	"${O[@]}" ca ocsp --dir "$D" --req early.req --out early.resp
refused "ca crl before the import" "$D" state "issuing_ca_pending" \
	"${O[@]}" ca crl --dir "$D" --out early.crl
port=$(free_port)
"${O[@]}" serve --dir "$D" --listen "127.0.0.1:$port" 2>serve.log &
SERVER_PID=$!
code=
for _ in $(seq 100); do
	code=$(curl -s -m 2 -o health.json -w '%{http_code}' "http://127.0.0.1:$port/healthz" || true)
	[ "$code" = 503 ] && break
	sleep 0.1
done
check_eq "serve before the import: /healthz answers 503" "$code" 503
check_eq "... with error.code issuing_ca_pending" \
	"$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["error"]["code"])' health.json)" \
	issuing_ca_pending
check_match "... and says what to do" "$(cat health.json)" "import-issuing"
check_eq "... every other path too (503)" \
	"$(curl -s -m 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/pki/root.crt")" 503
check "serve stops on SIGTERM" stop_server

# ---- the root signs the request; refusals first ----------------------------
sign() { # sign CSR EXTENSIONS OUT [openssl x509 options...]
	local in=$1 ext=$2 out=$3
	shift 3
	openssl x509 -req -in "$in" -CA root.crt -CAkey root.key -extfile root.cnf -extensions "$ext" \
		-days 3650 -set_serial "0x$(openssl rand -hex 8)" -out "$out" "$@" 2>/dev/null
}
sign "$P/issuing.csr" issuing issuing.pem
check "the root's certificate for the request verifies with openssl" \
	openssl verify -CAfile root.crt issuing.pem
# another key, the same subject
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out stray.key
openssl req -new -key stray.key -subj "$(openssl req -in "$P/issuing.csr" -noout -subject -nameopt compat | sed 's/^subject=//')" -out stray.csr
sign stray.csr issuing stray.pem
imp() { "${O[@]}" ca import-issuing --dir "$D" "$@"; }
refused "a certificate for another key" "$D" invalid_input "for another key" \
	imp --cert stray.pem --chain root.crt
sign "$P/issuing.csr" notca notca.pem
refused "a certificate that is not a CA" "$D" invalid_input "not a CA certificate" \
	imp --cert notca.pem --chain root.crt
refused "a chain that does not verify (another root)" "$D" invalid_input "chain does not verify" \
	imp --cert issuing.pem --chain other-root.crt
refused "no root given" "$D" invalid_input "no root" imp --cert issuing.pem
sign "$P/issuing.csr" otherpolicy otherpol.pem
refused "a chain that does not permit ca.policies" "$D" invalid_input "policies of ca.policies" \
	imp --cert otherpol.pem --chain root.crt
sign "$P/issuing.csr" issuing othersubj.pem -subj "/C=ID/O=Lain/CN=Nama Lain"
refused "another subject than the request's" "$D" invalid_input "request asked for" \
	imp --cert othersubj.pem --chain root.crt
refused "a root CRL the root did not sign" "$D" invalid_input "not a CRL" \
	imp --cert issuing.pem --chain root.crt --root-crl "$P/issuing.csr"

# ---- the import ------------------------------------------------------------
check "import-issuing installs the root's certificate" \
	imp --cert issuing.pem --chain root.crt --root-crl root-crl.pem
check_eq "pki/issuing.crt is the root's certificate" "$(openssl x509 -in "$P/issuing.crt" -outform DER | sha256sum)" \
	"$(openssl x509 -in issuing.pem -outform DER | sha256sum)"
check_eq "pki/root.crt is the external root" "$(openssl x509 -in "$P/root.crt" -outform DER | sha256sum)" \
	"$(openssl x509 -in root.crt -outform DER | sha256sum)"
check_eq "pki/chain.pem: issuing then root" "$(grep -c BEGIN "$P/chain.pem")" 2
check "ca chain answers the same" bash -c "'$OPENAMS' ca chain --dir '$D' | cmp - '$P/chain.pem'"
check "the OCSP responder is certified by the issuing CA" \
	openssl verify -CAfile root.crt -untrusted "$P/issuing.crt" -purpose ocsphelper "$P/ocsp.crt"
check "the TSA too" openssl verify -CAfile root.crt -untrusted "$P/issuing.crt" -purpose timestampsign "$P/tsa.crt"
check_eq "the audit log records the import" \
	"$(sqlite3 "$D/openams.db" "SELECT count(*) FROM audit WHERE action = 'ca.import_issuing'")" 1
check "audit verify" "${O[@]}" audit verify --dir "$D"
refused "a second import" "$D" exists "imported already" imp --cert issuing.pem --chain root.crt
refused "ca crl --root: the root's CRLs are its operator's" "$D" state "root CA is external" \
	"${O[@]}" ca crl --dir "$D" --root --out /dev/null

# ---- an end-entity certificate, verified from the external root ------------
issue_ok "issue an individual certificate" ee.pem --dir "$D" --csr ee.csr \
	--nik 3201011505900001 --email budi@kominfo.go.id
check_match "it asserts the instance's policy" \
	"$(openssl x509 -in ee.pem -noout -ext certificatePolicies)" "Policy: $P1"
V=(openssl verify -CAfile root.crt -untrusted "$P/issuing.crt" -policy_check -explicit_policy)
check "openssl verify -policy_check -explicit_policy -policy $P1" "${V[@]}" -policy "$P1" ee.pem
check_not "... a policy the chain does not assert fails" "${V[@]}" -policy 1.2.3.4.5 ee.pem
check "certtool --verify-chain (GnuTLS)" \
	bash -c "cat ee.pem '$P/issuing.crt' root.crt | certtool --verify-chain >/dev/null"
check "certtool --verify --load-ca-certificate root" \
	bash -c "cat ee.pem '$P/issuing.crt' | certtool --verify --load-ca-certificate root.crt >/dev/null"
NSS=$T/nss
mkdir "$NSS" && : >"$NSS/pw"
certutil -N -d "sql:$NSS" -f "$NSS/pw"
certutil -A -d "sql:$NSS" -n extroot -t "CT,C,C" -i root.crt
certutil -A -d "sql:$NSS" -n issuing -t "c,c,c" -i "$P/issuing.crt"
check "vfychain -pp with policy $P1 required (NSS)" vfychain -d "sql:$NSS" -pp -u 4 -o "OID.$P1" -a ee.pem
check_not "vfychain: a policy the chain does not assert fails" \
	vfychain -d "sql:$NSS" -pp -u 4 -o OID.1.2.3.4.5 -a ee.pem

# ---- OCSP and the CRL, against the external root ---------------------------
ocsp() { # ocsp NAME: asks about ee.pem, answers NAME.txt
	openssl ocsp -issuer "$P/issuing.crt" -cert ee.pem -no_nonce -reqout "$1.req" >/dev/null
	"${O[@]}" ca ocsp --dir "$D" --req "$1.req" --out "$1.resp"
	openssl ocsp -respin "$1.resp" -issuer "$P/issuing.crt" -cert ee.pem -no_nonce \
		-CAfile root.crt -verify_other "$P/issuing.crt" >"$1.txt" 2>&1 || true
}
ocsp good
check_match "openssl ocsp: the answer verifies against the external root" "$(cat good.txt)" "Response verify OK"
check_match "... good" "$(cat good.txt)" "ee.pem: good"
openssl crl -inform DER -in "$P/issuing.crl" -out issuing-crl.pem
check "openssl crl: the issuing CA's CRL verifies" \
	openssl crl -in issuing-crl.pem -CAfile "$P/chain.pem" -noout
check "openssl verify -crl_check_all with the root's CRL: not revoked" \
	openssl verify -CAfile root.crt -untrusted "$P/issuing.crt" -crl_check_all \
	-CRLfile issuing-crl.pem -CRLfile root-crl.pem ee.pem

# ---- a time-stamp and a B-T signature on this instance --------------------
printf 'surat\n' >doc.txt
openssl ts -query -data doc.txt -sha256 -cert -out q.tsq 2>/dev/null
check "sign timestamp" "${O[@]}" sign timestamp --dir "$D" --in q.tsq --out r.tsr
check "openssl ts -verify from the external root" \
	openssl ts -verify -data doc.txt -in r.tsr -CAfile root.crt -untrusted "$P/chain.pem"
"$PY" "$HERE/../sign/mkpdf.py" in.pdf 1
check "sign pdf --level B-T with the holder's key, time-stamped by the instance's TSA" \
	"${O[@]}" sign pdf --dir "$D" --in in.pdf --out bt.pdf --key ee.key --cert ee.pem \
	--chain "$P/chain.pem" --level B-T
out=$("${O[@]}" sign verify --dir "$D" --in bt.pdf 2>&1 || true)
check_match "sign verify: intact" "$out" "intact: yes"
check_match "... trusted (up to the external root)" "$out" "trusted: yes"
check_match "... good" "$out" "revocation: good"
check_match "... time-stamp valid" "$out" "time-stamp: valid"
check_match "pdfsig: the signature is valid" "$(pdfsig bt.pdf 2>&1 || true)" "Signature is Valid"

# ---- revoked ---------------------------------------------------------------
check "ca revoke" "${O[@]}" ca revoke --dir "$D" "$(serial_of ee.pem)" --reason keyCompromise
ocsp rev
check_match "openssl ocsp: the revoked answer verifies against the external root" "$(cat rev.txt)" \
	"Response verify OK"
check_match "... revoked" "$(cat rev.txt)" "ee.pem: revoked"
openssl crl -inform DER -in "$P/issuing.crl" -out issuing-crl2.pem
out=$(openssl verify -CAfile root.crt -untrusted "$P/issuing.crt" -crl_check -CRLfile issuing-crl2.pem \
	ee.pem 2>&1 || true)
check_match "openssl verify -crl_check: revoked on the new CRL" "$out" "certificate revoked"

# ---- under an intermediate CA of the root ----------------------------------
cat >>root.cnf <<EOF
[intermediate]
basicConstraints = critical, CA:TRUE, pathlen:1
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
certificatePolicies = 2.5.29.32.0
EOF
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out inter.key
openssl req -new -key inter.key -subj "/C=ID/O=Badan Siber dan Sandi Negara Uji/CN=CA Antara Uji" \
	-out inter.csr
sign inter.csr intermediate inter.crt
D2=$T/d2
new_instance "$D2" --external-root --config pol.conf --issuing-cn "Dinas Kedua Issuing CA Uji"
openssl x509 -req -in "$D2/pki/issuing.csr" -CA inter.crt -CAkey inter.key -extfile root.cnf \
	-extensions issuing -days 1800 -set_serial 0x77 -out issuing2.pem 2>/dev/null
cat inter.crt root.crt >inter-chain.pem
refused "an intermediate's certificate without the intermediate" "$D2" invalid_input \
	"chain does not verify" "${O[@]}" ca import-issuing --dir "$D2" --cert issuing2.pem --chain root.crt
out=$("${O[@]}" ca import-issuing --dir "$D2" --cert issuing2.pem --chain inter-chain.pem)
check_match "import-issuing under an intermediate" "$out" "intermediates: 1"
check_eq "pki/chain.pem: issuing, intermediate, root" "$(grep -c BEGIN "$D2/pki/chain.pem")" 3
check_eq "pki/root.crt is the root, not the intermediate" \
	"$(openssl x509 -in "$D2/pki/root.crt" -noout -subject)" "$(openssl x509 -in root.crt -noout -subject)"
csr ec-p256 ee2 "/C=ID/O=Dinas Kedua/CN=Siti Aminah" 2>/dev/null
issue_ok "issue under the intermediate" ee2.pem --dir "$D2" --csr ee2.csr \
	--nik 3201014505900002 --email siti@kominfo.go.id
check "openssl verify -explicit_policy through the intermediate" \
	openssl verify -CAfile root.crt -untrusted "$D2/pki/chain.pem" -policy_check -explicit_policy \
	-policy "$P1" ee2.pem
# The chain openams hands out (ca chain, /pki/chain.pem, the chain embedded in
# signatures: ca_chain_pem) carries the intermediate too, between issuing and root.
"${O[@]}" ca chain --dir "$D2" >served-chain.pem
check_eq "ca chain: issuing, intermediate, root" "$(grep -c BEGIN served-chain.pem)" 3
check_match "... the intermediate second" \
	"$(awk '/BEGIN/{n++} n==2' served-chain.pem | openssl x509 -noout -subject)" "CN *= *CA Antara Uji"
check "openssl verify with only the served chain as untrusted" \
	openssl verify -CAfile root.crt -untrusted served-chain.pem ee2.pem
finish
