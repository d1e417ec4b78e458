#!/usr/bin/env bash
# PKCS#11: a SoftHSM2 token initialised by this test in a temporary
# directory; `openams init --pkcs11-*` creates the CA keys inside it; the
# certificates, CRL and OCSP responses are signed in the token and verified
# by openssl; no key file exists; a second init on the same token is refused.
set -euo pipefail
fails=0
ok() { echo "ok - $*"; }
no() { echo "not ok - $*"; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@" >/dev/null 2>&1; then ok "$what"; else no "$what"; fi; }

tmp=$(mktemp -d /tmp/openams-pkcs11-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
module=/usr/lib/softhsm/libsofthsm2.so
mkdir -p "$tmp/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$tmp" > "$tmp/softhsm2.conf"
export SOFTHSM2_CONF=$tmp/softhsm2.conf
softhsm2-util --init-token --free --label openams --pin 246810 --so-pin 13579111 >/dev/null
echo 246810 > "$tmp/pin"
# The token's files belong to root here, so the signer keeps root's uid
# (it still loses the network and most system calls).
echo "signer.user = root" > "$tmp/extra.conf"
d=$tmp/inst
export OPENAMS_DIR=$d

check "init creates the CA keys in the token" \
  "$OPENAMS" init --config "$tmp/extra.conf" --pkcs11-module "$module" --pkcs11-token openams \
  --pkcs11-pin-file "$tmp/pin"
if [ -z "$(ls -A "$d/keys" 2>/dev/null)" ]; then ok "no key file in the data directory"; else no "key files exist"; fi
grep -q '^signer.backend = pkcs11' "$d/openams.conf" && ok "configuration names the pkcs11 backend" || no "backend not recorded"
objs=$(pkcs11-tool --module "$module" --token-label openams --login --pin 246810 --list-objects 2>/dev/null || true)
for l in openams-root openams-issuing openams-ocsp; do
  if grep -q "label: *$l" <<<"$objs"; then ok "token holds $l"; else no "token lacks $l"; fi
done
# The private keys cannot leave the token, and serve only to sign.
n=$(grep -c "Access: *sensitive, always sensitive, never extractable" <<<"$objs" || true)
[ "$n" -eq 3 ] && ok "the 3 private keys are sensitive and never extractable" || no "only $n keys are non-extractable"
if grep -A3 "Private Key Object" <<<"$objs" | grep "Usage:" | grep -qE "decrypt|unwrap"; then
  no "a CA key may decrypt or unwrap"; else ok "CA keys may only sign"; fi

openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/k.pem" \
  -out "$tmp/r.csr" -subj "/CN=Pemegang Token/O=Dinas Kominfo/C=ID" 2>/dev/null
check "issue with the token's issuing key" "$OPENAMS" ca issue --csr "$tmp/r.csr" \
  --nik 3201010101800077 --email pemegang@kominfo.ciamiskab.go.id --out "$tmp/c.pem"
check "openssl verifies the chain" openssl verify -x509_strict -CAfile "$d/pki/chain.pem" "$tmp/c.pem"
serial=$(openssl x509 -in "$tmp/c.pem" -noout -serial | cut -d= -f2)
check "revoke and publish the CRL" "$OPENAMS" ca revoke "$serial" --reason keyCompromise
openssl crl -inform DER -in "$d/pki/issuing.crl" -out "$tmp/crl.pem"
openssl crl -inform DER -in "$d/pki/root.crl" >> "$tmp/crl.pem"
check "CRL signed in the token verifies" openssl crl -in "$tmp/crl.pem" -CAfile "$d/pki/chain.pem" -noout
out=$(openssl verify -crl_check_all -CAfile "$d/pki/chain.pem" -CRLfile "$tmp/crl.pem" "$tmp/c.pem" 2>&1 || true)
grep -q "certificate revoked" <<<"$out" && ok "the certificate is revoked on the CRL" || no "revocation not on the CRL: $out"
openssl ocsp -issuer "$d/pki/issuing.crt" -cert "$tmp/c.pem" -reqout "$tmp/q.der" >/dev/null 2>&1
check "OCSP answered" "$OPENAMS" ca ocsp --req "$tmp/q.der" --out "$tmp/a.der"
out=$(openssl ocsp -respin "$tmp/a.der" -reqin "$tmp/q.der" -CAfile "$d/pki/chain.pem" -resp_text 2>&1)
grep -q "Response verify OK" <<<"$out" && ok "OCSP response signed in the token verifies" || no "OCSP verify: $out"
grep -q "Cert Status: revoked" <<<"$out" && ok "OCSP says revoked" || no "OCSP status wrong"

before=$(pkcs11-tool --module "$module" --token-label openams --login --pin 246810 --list-objects 2>/dev/null | wc -l)
if "$OPENAMS" init --dir "$tmp/second" --config "$tmp/extra.conf" --pkcs11-module "$module" \
    --pkcs11-token openams --pkcs11-pin-file "$tmp/pin" 2>"$tmp/err"; then
  no "second init on the same token accepted"
else
  grep -q "already holds" "$tmp/err" && ok "second init refused: $(cat "$tmp/err")" || no "wrong refusal: $(cat "$tmp/err")"
fi
after=$(pkcs11-tool --module "$module" --token-label openams --login --pin 246810 --list-objects 2>/dev/null | wc -l)
[ "$before" = "$after" ] && ok "the token is unchanged" || no "the token changed"
[ ! -e "$tmp/second" ] && ok "no data directory left behind" || no "partial data directory left"
echo 000000 > "$tmp/badpin"
sed -i "s|^signer.pkcs11_pin_file = .*|signer.pkcs11_pin_file = $tmp/badpin|" "$d/openams.conf"
if "$OPENAMS" ca crl --out /dev/null 2>"$tmp/err"; then no "a wrong PIN signed"; else
  ok "a wrong PIN is refused: $(head -c 160 "$tmp/err")"; fi

echo "$fails failed"
[ "$fails" -eq 0 ]
