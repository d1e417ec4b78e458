#!/bin/bash
# ocsp.sh KEYTYPE - the OCSP responder (`openams ca ocsp`) against OpenSSL,
# GnuTLS ocsptool and python3-cryptography: good, revoked and unknown
# answers with and without a nonce, and hostile requests that must get the
# right OCSP error status, never a crash.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

KT=${1:-ec-p256}
setup_instance --key-type "$KT"

csr ec-p256 good "/C=ID/O=Dinas Kominfo/CN=Budi Santoso" 2>/dev/null
issue_ok "issue the good certificate" good.pem --dir "$D" --csr good.csr --nik 3201010101800001 --email budi@kominfo.go.id
csr ec-p256 rev "/C=ID/O=Dinas Kominfo/CN=Ani Lestari" 2>/dev/null
issue_ok "issue the certificate to revoke (keyCompromise)" rev.pem --dir "$D" --csr rev.csr --nik 3201010101800002 --email ani@kominfo.go.id
csr ec-p256 rev2 "/C=ID/O=Dinas Kominfo/CN=Dewi" 2>/dev/null
issue_ok "issue the certificate to revoke (unspecified)" rev2.pem --dir "$D" --csr rev2.csr --nik 3201010101800003 --email dewi@kominfo.go.id
check "revoke keyCompromise" "$OPENAMS" ca revoke "$(serial_of rev.pem)" --dir "$D" --reason keyCompromise
check "revoke unspecified" "$OPENAMS" ca revoke "$(serial_of rev2.pem)" --dir "$D" --reason unspecified
revtime() { date -u -d "$("$OPENAMS" ca status "$1" --dir "$D" | sed -n 's/^revoked_at: //p')" +%s; }
RT1=$(revtime "$(serial_of rev.pem)")
RT2=$(revtime "$(serial_of rev2.pem)")
# A serial of the same issuer that was never issued.
UNK=7f$(openssl rand -hex 15)

ask() { # NAME: answers NAME.req into NAME.resp
	local rc=0
	"$OPENAMS" ca ocsp --dir "$D" --req "$1.req" --out "$1.resp" 2>"$1.err" || rc=$?
	if [ "$rc" -ne 0 ] || [ ! -s "$1.resp" ]; then
		nok "ca ocsp answers $1 (exit $rc)"
		sed 's/^/#   /' "$1.err"
		return 1
	fi
}

for nonce in nonce no_nonce; do
	nflag=()
	[ $nonce = no_nonce ] && nflag=(-no_nonce)
	for what in good rev rev2 unknown; do
		n=$what-$nonce
		if [ $what = unknown ]; then
			openssl ocsp -issuer "$P/issuing.crt" -serial "0x$UNK" -reqout $n.req "${nflag[@]}" >/dev/null
		else
			openssl ocsp -issuer "$P/issuing.crt" -cert $what.pem -reqout $n.req "${nflag[@]}" >/dev/null
		fi
		ask $n || continue
		openssl ocsp -respin $n.resp -reqin $n.req -CAfile "$P/chain.pem" -resp_text >$n.txt 2>$n.verr || true
		out=$(cat $n.txt $n.verr)
		check_match "openssl: $n: response verifies" "$(cat $n.verr)" "^Response verify OK"
		check_match "openssl: $n: successful" "$out" "OCSP Response Status: successful"
		case $what in
		good) check_match "openssl: $n: good" "$out" "Cert Status: good" ;;
		rev)
			check_match "openssl: $n: revoked" "$out" "Cert Status: revoked"
			check_match "openssl: $n: reason keyCompromise" "$out" "Revocation Reason: keyCompromise"
			check_match "openssl: $n: revocation time" "$out" "Revocation Time: $(date -u -d @$RT1 '+%b %e %H:%M:%S %Y')"
			;;
		rev2)
			check_match "openssl: $n: revoked" "$out" "Cert Status: revoked"
			check_not "openssl: $n: no reason for unspecified" grep -q "Revocation Reason" <<<"$out"
			;;
		unknown) check_match "openssl: $n: unknown" "$out" "Cert Status: unknown" ;;
		esac
		if [ $nonce = nonce ]; then
			check_not "openssl: $n: nonce verified (no warning)" grep -Eq "WARNING: no nonce|Nonce Verify error" <<<"$out"
		fi
		t=$(ocsptool -j -S $n.resp 2>&1 || true)
		check_match "ocsptool --response-info: $n" "$t" "Response Status: Successful"
		check "ocsptool --verify-response --load-signer responder: $n" ocsptool -e -S $n.resp --load-signer "$P/ocsp.crt"
		check "ocsptool --verify-response --load-trust issuing CA: $n" ocsptool -e -S $n.resp --load-trust "$P/issuing.crt"
		case $what in
		good) check_match "ocsptool: $n: good" "$t" "Certificate Status: good" ;;
		rev*) check_match "ocsptool: $n: revoked" "$t" "Certificate Status: revoked" ;;
		unknown) check_match "ocsptool: $n: unknown" "$t" "Certificate Status: unknown" ;;
		esac
		case $what in
		good) exp=(good) ;;
		rev) exp=(revoked reason=key_compromise revtime=$RT1) ;;
		rev2) exp=(revoked reason=none revtime=$RT2) ;;
		unknown) exp=(unknown) ;;
		esac
		check "cryptography: $n: ${exp[*]}" "$PY" "$HERE/ocsp.py" check $n.resp $n.req "$P/issuing.crt" "$P/ocsp.crt" "${exp[@]}"
	done
done
check_not "ocsptool --verify-response with the root as signer fails" ocsptool -e -S good-nonce.resp --load-signer "$P/root.crt"
# A response does not verify against another request's nonce.
out=$(openssl ocsp -respin good-nonce.resp -reqin rev-nonce.req -CAfile "$P/chain.pem" 2>&1 || true)
check_match "openssl: a response checked against another request's nonce fails" "$out" "Nonce Verify error"
# -cert with -reqin-less verify: status line per certificate.
out=$(openssl ocsp -respin good-no_nonce.resp -issuer "$P/issuing.crt" -cert good.pem -CAfile "$P/chain.pem" 2>&1 || true)
check_match "openssl: per-certificate status line" "$out" "good.pem: good"

# SHA-256 CertIDs and nonces of other sizes, built by python3-cryptography.
"$PY" "$HERE/ocsp.py" build "$P/issuing.crt" good.pem sha256.req "$(openssl rand -hex 32)" sha256
ask sha256 && check "cryptography: SHA-256 CertID, 32-octet nonce: good" \
	"$PY" "$HERE/ocsp.py" check sha256.resp sha256.req "$P/issuing.crt" "$P/ocsp.crt" good
"$PY" "$HERE/ocsp.py" build "$P/issuing.crt" rev.pem nonce1.req 01 sha1
ask nonce1 && check "cryptography: 1-octet nonce echoed" \
	"$PY" "$HERE/ocsp.py" check nonce1.resp nonce1.req "$P/issuing.crt" "$P/ocsp.crt" revoked reason=key_compromise

# Several CertIDs in one request: answered one by one.
openssl ocsp -issuer "$P/issuing.crt" -cert good.pem -cert rev.pem -serial "0x$UNK" -reqout multi.req >/dev/null
if ask multi; then
	openssl ocsp -respin multi.resp -reqin multi.req -CAfile "$P/chain.pem" -resp_text >multi.txt 2>multi.verr || true
	out=$(cat multi.txt)
	check_match "openssl: three CertIDs verify" "$(cat multi.verr)" "^Response verify OK"
	check_eq "openssl: three CertIDs answered good, revoked, unknown" \
		"$(grep -o 'Cert Status: [a-z]*' <<<"$out" | tr '\n' ' ')" "Cert Status: good Cert Status: revoked Cert Status: unknown "
fi
# A signed request (optionalSignature) is still answered.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout rq.key -subj "/CN=requestor" -days 2 -out rq.crt 2>/dev/null
openssl ocsp -issuer "$P/issuing.crt" -cert good.pem -signer rq.crt -signkey rq.key -reqout signed.req >/dev/null
ask signed && check_eq "a signed request is answered" "$("$PY" "$HERE/ocsp.py" status signed.resp)" successful

# ---- hostile requests ------------------------------------------------------
# expect_status NAME STATUS: NAME.req gets a well-formed OCSPResponse with STATUS.
expect_status() {
	local got
	ask "$1" || return 0
	got=$("$PY" "$HERE/ocsp.py" status "$1.resp" 2>&1) || true
	check_eq "$1: answered $2" "$got" "$2"
	local o
	o=$(openssl ocsp -respin "$1.resp" -resp_text -noverify 2>&1 || true)
	check_match "$1: openssl reads the status $2" "$o" "(Responder Error|OCSP Response Status): $(tr "A-Z" "a-z" <<<"$2") "
}
head -c 300 /dev/urandom >garbage.req
expect_status garbage malformedRequest
printf 'GET /ocsp HTTP/1.1\r\n\r\n' >text.req
expect_status text malformedRequest
: >empty.req
expect_status empty malformedRequest
head -c $(($(stat -c %s good-nonce.req) - 7)) good-nonce.req >truncated.req
expect_status truncated malformedRequest
head -c 1 good-nonce.req >onebyte.req
expect_status onebyte malformedRequest
{ cat good-nonce.req; printf '\0\0'; } >trailing.req
expect_status trailing malformedRequest
# Over 16 KiB: a request whose outer SEQUENCE is padded, and plain filler.
"$PY" - good-nonce.req big.req <<'EOF'
import sys
body = open(sys.argv[1], "rb").read()
inner = body[2:] if body[1] < 0x80 else body[2 + (body[1] & 0x7f):]
pad = b"\x04\x82\x44\x00" + b"A" * 0x4400   # an OCTET STRING of 17408 bytes
c = inner + pad
n = len(c)
open(sys.argv[2], "wb").write(b"\x30\x82" + n.to_bytes(2, "big") + c)
EOF
expect_status big malformedRequest
head -c 20000 /dev/zero >zeros.req
expect_status zeros malformedRequest
# Declared length far larger than the file.
printf '\x30\x84\x7f\xff\xff\xff\x30\x00' >biglen.req
expect_status biglen malformedRequest
# Deep nesting.
"$PY" -c "import sys; d=b'\x05\x00'
for _ in range(2000):
    d = b'\x30' + (bytes([len(d)]) if len(d)<128 else b'\x82'+len(d).to_bytes(2,'big')) + d
open('deep.req','wb').write(d[:16000])"
expect_status deep malformedRequest
# Too many CertIDs (limit 32) and exactly 32.
args=()
for i in $(seq 1 33); do args+=(-serial "0x7f$(openssl rand -hex 15)"); done
openssl ocsp -issuer "$P/issuing.crt" "${args[@]}" -reqout many33.req >/dev/null
expect_status many33 malformedRequest
openssl ocsp -issuer "$P/issuing.crt" "${args[@]:0:64}" -reqout many32.req >/dev/null
expect_status many32 successful
# An oversized nonce (RFC 8954: 1..32 octets).
"$PY" "$HERE/ocsp.py" build "$P/issuing.crt" good.pem nonce200.req "$(openssl rand -hex 200)" sha1
expect_status nonce200 malformedRequest
# CertIDs of other issuers: the root (for the issuing CA's own certificate)
# and a CA that has nothing to do with this instance.
openssl ocsp -issuer "$P/root.crt" -cert "$P/issuing.crt" -reqout rootissued.req >/dev/null
expect_status rootissued unauthorized
# (the same subject as our issuing CA, another key)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout foreign.key \
	-subj "$(openssl x509 -in "$P/issuing.crt" -noout -subject -nameopt compat | sed 's/^subject=//')" \
	-days 30 -out foreign.crt 2>/dev/null
openssl ocsp -issuer foreign.crt -serial "0x$(serial_of good.pem)" -reqout foreign.req >/dev/null
expect_status foreign unauthorized
# Same issuer name, another key: still another issuer.
"$PY" - "$P/issuing.crt" good.pem keyhash.req <<'EOF'
import sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
iss = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
c = x509.load_pem_x509_certificate(open(sys.argv[2], "rb").read())
req = ocsp.OCSPRequestBuilder().add_certificate(c, iss, hashes.SHA1()).build()
der = bytearray(req.public_bytes(serialization.Encoding.DER))
kh = req.issuer_key_hash
i = der.find(kh)
der[i] ^= 0x01
open(sys.argv[3], "wb").write(bytes(der))
EOF
expect_status keyhash unauthorized
# One of ours and one foreign in the same request.
openssl ocsp -issuer "$P/issuing.crt" -cert good.pem -issuer foreign.crt -serial 0x1234 -reqout mixed.req >/dev/null
expect_status mixed unauthorized
# Serials that openams can never have issued: zero and 25 octets.
for sv in 00 7f$(openssl rand -hex 24); do
	openssl ocsp -issuer "$P/issuing.crt" -serial "0x$sv" -reqout odd.req >/dev/null
	if ask odd; then
		check "serial 0x${sv:0:8}... (${#sv} hex digits): unknown, verified" \
			"$PY" "$HERE/ocsp.py" check odd.resp odd.req "$P/issuing.crt" "$P/ocsp.crt" unknown
	fi
done
# ---- security review, issue 16 ----------------------------------------------
# RFC 6960 4.4: a critical extension the responder does not understand must
# not be ignored: malformedRequest.  Not critical, it is ignored.
openssl ocsp -issuer "$P/issuing.crt" -cert good.pem -no_nonce -reqout plain.req >/dev/null
"$PY" "$HERE/ocsp.py" addext plain.req critext.req 1.3.6.1.4.1.99999.1 0500 critical
check_match "openssl reads the request with the critical extension" \
	"$(openssl ocsp -reqin critext.req -req_text 2>&1)" "1.3.6.1.4.1.99999.1: critical"
expect_status critext malformedRequest
"$PY" "$HERE/ocsp.py" addext plain.req critsingle.req 1.3.6.1.4.1.99999.2 0500 critical single
expect_status critsingle malformedRequest
"$PY" "$HERE/ocsp.py" addext plain.req noncrit.req 1.3.6.1.4.1.99999.1 0500 noncritical
if ask noncrit; then
	out=$(openssl ocsp -respin noncrit.resp -reqin noncrit.req -CAfile "$P/chain.pem" -resp_text 2>&1 || true)
	check_match "a non-critical unknown extension is ignored: verified" "$out" "Response verify OK"
	check_match "a non-critical unknown extension is ignored: good" "$out" "Cert Status: good"
fi
# A critical nonce is understood: answered and echoed.
"$PY" "$HERE/ocsp.py" addext plain.req critnonce.req 1.3.6.1.5.5.7.48.1.2 "0410$(openssl rand -hex 16)" critical
if ask critnonce; then
	out=$(openssl ocsp -respin critnonce.resp -reqin critnonce.req -CAfile "$P/chain.pem" -resp_text 2>&1 || true)
	check_match "a critical nonce is understood: good" "$out" "Cert Status: good"
	check_not "a critical nonce is understood: echoed" grep -Eq "WARNING: no nonce|Nonce Verify error" <<<"$out"
fi
# RFC 8954 2.1: a nonce is 1..32 octets; 0 and 33 are malformedRequest.
"$PY" "$HERE/ocsp.py" addext plain.req nonce0.req 1.3.6.1.5.5.7.48.1.2 0400 noncritical
check_match "openssl reads the zero-length nonce" "$(openssl ocsp -reqin nonce0.req -req_text 2>&1)" "OCSP Nonce"
expect_status nonce0 malformedRequest
"$PY" "$HERE/ocsp.py" addext plain.req nonce33.req 1.3.6.1.5.5.7.48.1.2 "0421$(openssl rand -hex 33)" noncritical
expect_status nonce33 malformedRequest
"$PY" "$HERE/ocsp.py" build "$P/issuing.crt" good.pem nonce33b.req "$(openssl rand -hex 33)" sha1
expect_status nonce33b malformedRequest
# The delegated responder's own certificate, issued by the issuing CA: good.
openssl ocsp -issuer "$P/issuing.crt" -cert "$P/ocsp.crt" -reqout self.req >/dev/null
if ask self; then
	out=$(openssl ocsp -respin self.resp -reqin self.req -CAfile "$P/chain.pem" -resp_text 2>&1 || true)
	check_match "openssl: the responder's own certificate: verified" "$out" "Response verify OK"
	check_match "openssl: the responder's own certificate: good" "$out" "Cert Status: good"
fi
# CertIDs hashed with SHA-224/256/384/512 (openssl ocsp -<digest>): answered.
for md in sha224 sha256 sha384 sha512; do
	openssl ocsp -$md -issuer "$P/issuing.crt" -cert good.pem -cert rev.pem -reqout $md-ossl.req >/dev/null
	if ask $md-ossl; then
		out=$(openssl ocsp -respin $md-ossl.resp -reqin $md-ossl.req -CAfile "$P/chain.pem" -resp_text 2>&1 || true)
		check_match "openssl: $md CertIDs: verified" "$out" "Response verify OK"
		check_eq "openssl: $md CertIDs: good, revoked" \
			"$(grep -o 'Cert Status: [a-z]*' <<<"$out" | tr '\n' ' ')" "Cert Status: good Cert Status: revoked "
		check_match "openssl: $md CertIDs: echoed with $md" "$out" "Hash Algorithm: $md"
	fi
done
for md in sha384 sha512; do
	"$PY" "$HERE/ocsp.py" build "$P/issuing.crt" rev.pem $md.req "$(openssl rand -hex 16)" $md
	ask $md && check "cryptography: $md CertID: revoked" \
		"$PY" "$HERE/ocsp.py" check $md.resp $md.req "$P/issuing.crt" "$P/ocsp.crt" revoked reason=key_compromise
done
# Another algorithm (MD5) cannot be matched: unauthorized, as before.
openssl ocsp -md5 -issuer "$P/issuing.crt" -cert good.pem -reqout md5.req >/dev/null 2>&1 &&
	expect_status md5 unauthorized

# The responder survived all of it: a plain request is still answered.
openssl ocsp -issuer "$P/issuing.crt" -cert good.pem -reqout after.req >/dev/null
if ask after; then
	out=$(openssl ocsp -respin after.resp -reqin after.req -CAfile "$P/chain.pem" 2>&1 || true)
	check_match "a normal request after the hostile ones: verified" "$out" "^Response verify OK"
	check_eq "a normal request after the hostile ones: good" "$("$PY" "$HERE/ocsp.py" check after.resp after.req "$P/issuing.crt" "$P/ocsp.crt" good 2>&1 | cut -d' ' -f1)" good
fi
check "audit log intact after OCSP traffic" "$OPENAMS" audit verify --dir "$D"

finish
