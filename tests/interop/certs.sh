#!/bin/bash
# certs.sh KEYTYPE - every certificate kind openams makes (root, issuing CA,
# OCSP responder, individual from a CSR, individual with a server-generated
# key, seal, and a revoked one), checked by OpenSSL, GnuTLS, NSS and
# python3-cryptography, together with both CRLs.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

KT=${1:-ec-p256}
setup_instance --key-type "$KT"
ok "init --key-type $KT"

# The holders' keys follow the CA's family; RSA leaves are 2048 bits to keep
# the run short (RSA 3072 is exercised by the CA keys and the server key).
case $KT in
ec-*) LK=ec-p256 ;;
*) LK=rsa-2048 ;;
esac

NIK1=3201010101800001 NIP1=198001012005011001 EM1=budi.santoso@kominfo.go.id
NIK2=3201010101800002 EM2=siti@diskominfo.riau.go.id
NIK3=3201010101800003 EM3=ani@kominfo.go.id

# ---- issue one of each kind ------------------------------------------------
csr "$LK" ind "/C=ID/ST=Riau/L=Selatpanjang/O=Dinas Kominfo/OU=Persandian/CN=Budi Santoso" 2>/dev/null
issue_ok "individual from a $LK CSR" ind.pem --dir "$D" --csr ind.csr --nik "$NIK1" --nip "$NIP1" --email "$EM1"

printf 'rahasia-pemegang-123\n' >kpass
issue_ok "individual with a server-generated $KT key" kg.pem --dir "$D" --keygen "$KT" \
	--key-out kg.key --key-pass-file kpass --name "Siti Aminah" --org "Diskominfo Riau" \
	--nik "$NIK2" --email "$EM2"

csr "$LK" seal "/C=ID/O=Dinas Kominfo Kab. Kepulauan Meranti/CN=Segel Dinas Kominfo" 2>/dev/null
issue_ok "seal from a $LK CSR" seal.pem --dir "$D" --csr seal.csr --profile seal --email persandian@kominfo.go.id

csr "$LK" rev "/C=ID/O=Dinas Kominfo/CN=Ani Lestari" 2>/dev/null
issue_ok "individual to be revoked" rev.pem --dir "$D" --csr rev.csr --nik "$NIK3" --email "$EM3"

S_IND=$(serial_of ind.pem) S_KG=$(serial_of kg.pem) S_SEAL=$(serial_of seal.pem) S_REV=$(serial_of rev.pem)

# ---- the server-generated key --------------------------------------------
check_eq "key-out file is mode 0600" "$(stat -c %a kg.key)" 600
check "key-out is encrypted PKCS#8 PEM" grep -q '^-----BEGIN ENCRYPTED PRIVATE KEY-----' kg.key
check_not "key-out does not open without the passphrase" openssl pkey -in kg.key -passin pass: -noout
check "key-out opens with the passphrase" openssl pkey -in kg.key -passin file:kpass -noout
check_eq "key-out matches the certificate's public key" \
	"$(openssl pkey -in kg.key -passin file:kpass -pubout 2>/dev/null | sha256sum)" \
	"$(openssl x509 -in kg.pem -noout -pubkey | sha256sum)"
case $KT in
rsa-*) check_match "server key is $KT" "$(openssl x509 -in kg.pem -noout -text)" "Public-Key: \(${KT#rsa-} bit\)" ;;
ec-p256) check_match "server key is P-256" "$(openssl x509 -in kg.pem -noout -text)" "NIST CURVE: P-256" ;;
esac
check "key-out is PBES2 with AES-256" bash -c "openssl asn1parse -in kg.key | grep -q PBES2 && openssl asn1parse -in kg.key | grep -q aes-256-cbc"

# ---- revoke one, then the CRLs --------------------------------------------
crl_num() { openssl crl -inform DER -in "$1" -noout -crlnumber | sed 's/^crlNumber=0x//'; }
N0=$(crl_num "$P/issuing.crl")
INV=$(date -u +%Y-%m-%dT%H:%M:%SZ) # after rev.pem's notBefore, not in the future
check "revoke with keyCompromise and an invalidity date" \
	"$OPENAMS" ca revoke "$S_REV" --dir "$D" --reason keyCompromise --invalidity-date "$INV"
N1=$(crl_num "$P/issuing.crl")
check "CRL number increased after the revocation ($N0 -> $N1)" test $((16#$N1)) -gt $((16#$N0))

openssl crl -inform DER -in "$P/issuing.crl" -out issuing.crl.pem
openssl crl -inform DER -in "$P/root.crl" -out root.crl.pem
cat issuing.crl.pem root.crl.pem >crls.pem
cat "$P/issuing.crt" "$P/root.crt" >chain-ref.pem
check "ca chain equals issuing.crt + root.crt" cmp -s <("$OPENAMS" ca chain --dir "$D") chain-ref.pem
check "pki/chain.pem equals issuing.crt + root.crt" cmp -s "$P/chain.pem" chain-ref.pem

# ---- OpenSSL ---------------------------------------------------------------
ossl_verify() { openssl verify -x509_strict -CAfile "$P/root.crt" -untrusted "$P/issuing.crt" -CRLfile crls.pem "$@"; }
check "openssl: root self-verifies" openssl verify -x509_strict -CAfile "$P/root.crt" "$P/root.crt"
check "openssl: issuing CA -crl_check against the root CRL" \
	openssl verify -x509_strict -crl_check -CAfile "$P/root.crt" -CRLfile root.crl.pem "$P/issuing.crt"
check "openssl: OCSP responder -crl_check_all, purpose ocsphelper" ossl_verify -crl_check_all -purpose ocsphelper "$P/ocsp.crt"
for f in ind kg; do
	check "openssl: $f -crl_check_all, purpose smimesign" ossl_verify -crl_check_all -purpose smimesign $f.pem
done
check "openssl: seal -crl_check_all" ossl_verify -crl_check_all seal.pem
check "openssl: seal -crl_check (leaf only)" ossl_verify -crl_check seal.pem
out=$(ossl_verify -crl_check_all rev.pem 2>&1 || true)
check_match "openssl: revoked leaf is refused as revoked" "$out" "certificate revoked"
check_not "openssl: individual is not a TLS server certificate" ossl_verify -purpose sslserver ind.pem
check "openssl: CRL signature verifies against the issuing CA" \
	openssl crl -in issuing.crl.pem -CAfile chain-ref.pem -noout
check "openssl: root CRL signature verifies against the root" \
	openssl crl -in root.crl.pem -CAfile "$P/root.crt" -noout

# Field checks on `openssl x509 -text`.
txt() { openssl x509 -in "$1" -noout -text -nameopt RFC2253; }
for f in ind kg; do
	t=$(txt $f.pem)
	check_match "$f: keyUsage critical" "$t" "X509v3 Key Usage: critical"
	check_match "$f: digitalSignature + nonRepudiation only" "$t" $'^ +Digital Signature, Non Repudiation$'
	check_match "$f: EKU emailProtection + 1.3.6.1.5.5.7.3.36" "$t" "E-mail Protection, 1\.3\.6\.1\.5\.5\.7\.3\.36"
	check_match "$f: basicConstraints critical CA:FALSE" "$(printf '%s\n' "$t" | grep -A1 'Basic Constraints')" "critical"
	check_match "$f: Subject Key Identifier" "$t" "X509v3 Subject Key Identifier"
	check_match "$f: Authority Key Identifier" "$t" "X509v3 Authority Key Identifier"
	check_match "$f: CRL DP" "$t" "URI:http.*/issuing\.crl"
	check_match "$f: AIA OCSP" "$t" "OCSP - URI:http"
	check_match "$f: AIA caIssuers" "$t" "CA Issuers - URI:http.*issuing\.crt"
	check_match "$f: C=ID" "$t" "Subject: .*C=ID"
	check_match "$f: signature algorithm" "$t" "Signature Algorithm: (ecdsa-with-SHA256|sha256WithRSAEncryption)"
done
t=$(txt ind.pem)
check_match "ind: SAN email" "$t" "email:$EM1\$"
check_match "ind: serialNumber=PNOID-NIK" "$t" "Subject: .*serialNumber=PNOID-$NIK1"
check_match "ind: UID=NIP" "$t" "Subject: .*UID=$NIP1"
check_match "ind: subject from the CSR (O, OU, L, ST, CN)" "$t" \
	"Subject: UID=$NIP1,serialNumber=PNOID-$NIK1,CN=Budi Santoso,OU=Persandian,O=Dinas Kominfo,L=Selatpanjang,ST=Riau,C=ID"
t=$(txt kg.pem)
check_match "kg: SAN email" "$t" "email:$EM2\$"
check_match "kg: serialNumber=PNOID-NIK, CN, O from flags" "$t" "Subject: serialNumber=PNOID-$NIK2,CN=Siti Aminah,O=Diskominfo Riau,C=ID"
t=$(txt seal.pem)
check_match "seal: keyUsage critical digitalSignature + nonRepudiation" "$(printf '%s\n' "$t" | grep -A1 'Key Usage: critical')" "Digital Signature, Non Repudiation"
check_match "seal: EKU documentSigning only" "$(printf '%s\n' "$t" | grep -A1 'Extended Key Usage')" $'^ +1\\.3\\.6\\.1\\.5\\.5\\.7\\.3\\.36 *$'
check_not "seal: no serialNumber (NIK) in the subject" grep -q serialNumber <<<"$(openssl x509 -in seal.pem -noout -subject)"
check_match "seal: SAN email" "$t" "email:persandian@kominfo.go.id"
t=$(txt "$P/ocsp.crt")
check_match "responder: EKU OCSP Signing" "$(printf '%s\n' "$t" | grep -A1 'Extended Key Usage')" "OCSP Signing"
check_match "responder: OCSP No Check" "$t" "OCSP No Check"
check_match "responder: keyUsage critical digitalSignature" "$(printf '%s\n' "$t" | grep -A1 'Key Usage: critical')" "Digital Signature"
check_match "responder: issued by the issuing CA" "$t" "Issuer: CN=kominfo Issuing CA [0-9A-F]{8}"
t=$(txt "$P/issuing.crt")
check_match "issuing CA: CA:TRUE pathlen:0 critical" "$(printf '%s\n' "$t" | grep -A1 'Basic Constraints: critical')" "CA:TRUE, pathlen:0"
check_match "issuing CA: keyCertSign + cRLSign" "$(printf '%s\n' "$t" | grep -A1 'Key Usage: critical')" "Certificate Sign, CRL Sign"
check_match "issuing CA: CRL DP of the root" "$t" "URI:http.*/root\.crl"
t=$(txt "$P/root.crt")
check_match "root: CA:TRUE critical" "$(printf '%s\n' "$t" | grep -A1 'Basic Constraints: critical')" "CA:TRUE"
case $KT in
rsa-*) for c in root issuing ocsp; do
	check_match "$c: RSA ${KT#rsa-} key" "$(txt "$P/$c.crt")" "Public-Key: \(${KT#rsa-} bit\)"
done ;;
esac
for f in "$P/root.crt" "$P/issuing.crt" "$P/ocsp.crt" ind.pem kg.pem seal.pem rev.pem; do
	s=$(openssl x509 -in "$f" -noout -serial | sed 's/serial=//')
	first=$((16#${s:0:2}))
	check "$(basename "$f"): serial $s positive, >= 64 bits, <= 20 octets" \
		test "$first" -lt 128 -a "${#s}" -ge 16 -a "${#s}" -le 40 -a "$first" -gt 0
done

# DER (X.690 11.1): a BOOLEAN TRUE is the octet 0xFF.  basicConstraints of
# the CAs: 30 0x 06 03 55 1d 13 01 01 ff 04 0x 30 0x 01 01 ff ...
for c in root issuing; do
	hex=$(openssl x509 -in "$P/$c.crt" -outform DER | od -An -v -tx1 | tr -d ' \n')
	bc=$(grep -o '0603551d130101ff04[0-9a-f]\{2\}30[0-9a-f]\{2\}0101[0-9a-f]\{2\}' <<<"$hex" || echo "no basicConstraints cA")
	check_eq "$c: basicConstraints cA TRUE is DER-encoded (0xff); extension hex $bc" "${bc: -2}" ff
done

# ---- GnuTLS ----------------------------------------------------------------
for f in ind kg seal; do
	cat $f.pem "$P/issuing.crt" "$P/root.crt" >$f.chain.pem
	check "certtool --verify-chain: $f" certtool --verify-chain --verify-profile=medium --infile $f.chain.pem
	check "certtool --verify with the CRL: $f" certtool --verify --verify-profile=medium \
		--load-ca-certificate "$P/root.crt" --load-crl issuing.crl.pem --infile $f.chain.pem
	check "certtool -i: $f" certtool -i --infile $f.pem
done
check "certtool --verify-email + emailProtection purpose: ind" certtool --verify \
	--load-ca-certificate "$P/root.crt" --infile ind.chain.pem --verify-email "$EM1" \
	--verify-purpose 1.3.6.1.5.5.7.3.4
check_not "certtool --verify-email with another address fails" certtool --verify \
	--load-ca-certificate "$P/root.crt" --infile ind.chain.pem --verify-email other@kominfo.go.id
cat rev.pem "$P/issuing.crt" >rev.chain.pem
out=$(certtool --verify --load-ca-certificate "$P/root.crt" --load-crl issuing.crl.pem --infile rev.chain.pem 2>&1 || true)
check_match "certtool: revoked leaf is reported revoked" "$out" "revoked"
check_not "certtool: revoked leaf does not verify" certtool --verify \
	--load-ca-certificate "$P/root.crt" --load-crl issuing.crl.pem --infile rev.chain.pem
cat "$P/ocsp.crt" "$P/issuing.crt" "$P/root.crt" >ocsp.chain.pem
check "certtool --verify-chain: OCSP responder" certtool --verify-chain --infile ocsp.chain.pem
check "certtool --verify-crl: issuing CRL against the issuing CA" \
	certtool --verify-crl --load-ca-certificate "$P/issuing.crt" --infile issuing.crl.pem
check "certtool --verify-crl: root CRL against the root" \
	certtool --verify-crl --load-ca-certificate "$P/root.crt" --infile root.crl.pem
check_not "certtool --verify-crl: issuing CRL against the root fails" \
	certtool --verify-crl --load-ca-certificate "$P/root.crt" --infile issuing.crl.pem
t=$(certtool -i --infile ind.pem 2>&1)
check_match "certtool -i: Key Usage critical" "$t" "Key Usage \(critical\):"
check_match "certtool -i: Non repudiation" "$t" "Non repudiation"
check_match "certtool -i: email RFC822Name" "$t" "RFC822Name: $EM1"
t=$(certtool --crl-info --infile issuing.crl.pem 2>&1)
check_match "certtool --crl-info lists the revoked serial" "$t" "$S_REV"

# ---- NSS ---------------------------------------------------------------------
NSS=$T/nss
mkdir "$NSS"
: >"$NSS/pw"
check "certutil -N (fresh database)" certutil -N -d "sql:$NSS" -f "$NSS/pw"
check "certutil -A root as trusted CA" certutil -A -d "sql:$NSS" -n root -t "CT,C,C" -i "$P/root.crt"
check "certutil -A issuing as CA" certutil -A -d "sql:$NSS" -n issuing -t "c,c,c" -i "$P/issuing.crt"
for f in ind kg; do
	check "vfychain -u 4 (email signer): $f" vfychain -d "sql:$NSS" -pp -u 4 -a $f.pem
done
check_not "vfychain -u 1 (SSL server) refuses the individual" vfychain -d "sql:$NSS" -pp -u 1 -a ind.pem
check "vfychain -u 10 (OCSP responder): responder" vfychain -d "sql:$NSS" -pp -u 10 -a "$P/ocsp.crt"
check "vfychain -u 11 (any CA): issuing CA" vfychain -d "sql:$NSS" -pp -u 11 -a "$P/issuing.crt"
check "crlutil -I imports the issuing CRL" crlutil -I -d "sql:$NSS" -i "$P/issuing.crl" -t 1 -f "$NSS/pw"
check "vfychain with the CRL required: ind good" vfychain -d "sql:$NSS" -pp -pp -g leaf \
	-h testLocalInfoFirst -m crl -s failIfNoInfo -u 4 -a ind.pem
check_not "vfychain with the CRL required: revoked leaf refused" vfychain -d "sql:$NSS" -pp -pp -g leaf \
	-h testLocalInfoFirst -m crl -s failIfNoInfo -u 4 -a rev.pem

# ---- python3-cryptography ----------------------------------------------------
check "cryptography: signatures, serials, AKI/SKI, validity nesting of all certificates" \
	"$PY" "$HERE/certs.py" sigs "$P/root.crt" "$P/issuing.crt" "$P/ocsp.crt" ind.pem kg.pem seal.pem rev.pem
check "cryptography: individual (CSR) fields" "$PY" "$HERE/certs.py" leaf ind.pem individual \
	nik=$NIK1 nip=$NIP1 email=$EM1 cn="Budi Santoso"
check "cryptography: individual (server key) fields" "$PY" "$HERE/certs.py" leaf kg.pem individual \
	nik=$NIK2 email=$EM2 cn="Siti Aminah"
check "cryptography: seal fields" "$PY" "$HERE/certs.py" leaf seal.pem seal \
	email=persandian@kominfo.go.id cn="Segel Dinas Kominfo"
check "cryptography: issuing CRL signature, entry with reason and invalidity date" \
	"$PY" "$HERE/certs.py" crl "$P/issuing.crl" "$P/issuing.crt" --count 1 "$S_REV=keyCompromise@$INV"
check "cryptography: root CRL signature, empty" \
	"$PY" "$HERE/certs.py" crl "$P/root.crl" "$P/root.crt" --count 0

# CRL numbers increase with each revocation; every reason is carried.
prev=$("$PY" "$HERE/certs.py" crl "$P/issuing.crl" "$P/issuing.crt")
specs=("$S_REV=keyCompromise@$INV")
i=0
for r in superseded affiliationChanged unspecified; do
	i=$((i + 1))
	csr ec-p256 r$i "/C=ID/O=Dinas Kominfo/CN=Pegawai $i" 2>/dev/null
	issue_ok "individual $i (to revoke: $r)" r$i.pem --dir "$D" --csr r$i.csr --nik 320101010190000$i --email p$i@kominfo.go.id || continue
	s=$(serial_of r$i.pem)
	check "revoke $r" "$OPENAMS" ca revoke "$s" --dir "$D" --reason "$r"
	specs+=("$s=$r")
	cur=$("$PY" "$HERE/certs.py" crl "$P/issuing.crl" "$P/issuing.crt" --count ${#specs[@]} "${specs[@]}" 2>"$T/crl.err") || {
		nok "cryptography: CRL after revoking $r"; sed 's/^/#   /' "$T/crl.err"; continue; }
	check "CRL number increases after revoking $r ($prev -> $cur)" test "$cur" -gt "$prev"
	prev=$cur
done
i=$((i + 1))
csr ec-p256 r$i "/C=ID/O=Dinas Kominfo/CN=Pegawai $i" 2>/dev/null
if issue_ok "seal to revoke with cessationOfOperation" r$i.pem --dir "$D" --csr r$i.csr --profile seal; then
	s=$(serial_of r$i.pem)
	check "revoke cessationOfOperation" "$OPENAMS" ca revoke "$s" --dir "$D" --reason cessationOfOperation
	specs+=("$s=cessationOfOperation")
	cur=$("$PY" "$HERE/certs.py" crl "$P/issuing.crl" "$P/issuing.crt" --count ${#specs[@]} "${specs[@]}" 2>&1) ||
		{ nok "cryptography: CRL after cessationOfOperation"; echo "#   $cur"; cur=0; }
	check "CRL number increases ($prev -> $cur)" test "$cur" -gt "$prev"
fi
out=$("$OPENAMS" ca crl --dir "$D" --out crl-cli.der 2>&1) && ok "ca crl --out" || nok "ca crl --out: $out"
check "ca crl output equals the published DIR/pki/issuing.crl" cmp -s crl-cli.der "$P/issuing.crl"
n=$("$PY" "$HERE/certs.py" crl crl-cli.der "$P/issuing.crt" 2>&1 || echo 0)
check "ca crl numbers the next CRL ($prev -> $n)" test "$n" -gt "$prev"
"$OPENAMS" ca crl --dir "$D" --root >root-cli.der 2>/dev/null || true
check "ca crl --root: signed by the root" "$PY" "$HERE/certs.py" crl root-cli.der "$P/root.crt" --count 0
check_eq "ca crl --root published DIR/pki/root.crl" "$(sha256sum <root-cli.der)" "$(sha256sum <"$P/root.crl")"
check "certtool --verify-crl on the latest CRL" bash -c \
	"openssl crl -inform DER -in '$P/issuing.crl' | certtool --verify-crl --load-ca-certificate '$P/issuing.crt'"

finish
