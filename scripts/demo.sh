#!/usr/bin/env bash
# Command 1: install what is missing, build, create a demo instance in
# var/demo (SQLite, a development CA, the shipped profiles and SOPs), and walk
# through it on the command line: issue, inspect, check with OCSP, revoke,
# publish the CRL, verify the audit log, check and simulate an SOP.
#
# The web portal is not built yet; when it is, this script starts it.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

scripts/install-deps.sh
[ -d build ] || meson setup build --buildtype=debugoptimized >/dev/null
ninja -C build >/dev/null

export OPENAMS_DIR="$top/var/demo"
oa() { echo "\$ openams $*" >&2; "$top/build/src/cli/openams" "$@"; }

if [ ! -f "$OPENAMS_DIR/openams.conf" ]; then
  oa init --demo
else
  echo "(re-using the demo instance in $OPENAMS_DIR; remove it for a fresh one)"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
nik=$(printf '3201%012d' $(( $(date +%s) % 1000000000000 )))

echo
echo "== An applicant's key and certificate request (made on their own machine)"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$work/applicant.key" -out "$work/applicant.csr" \
  -subj "/C=ID/ST=Riau/L=Selatpanjang/O=Pemerintah Kabupaten Kepulauan Meranti/OU=Dinas Kominfo/CN=Siti Rahmawati" 2>/dev/null
oa ca issue --csr "$work/applicant.csr" --nik "$nik" --nip 198705122010012003 \
  --email siti.rahmawati@kominfo.merantikab.go.id --out "$work/applicant.pem"
serial=$(openssl x509 -in "$work/applicant.pem" -noout -serial | cut -d= -f2)
oa ca status "$serial"

echo
echo "== The same person cannot hold two active certificates"
oa ca issue --csr "$work/applicant.csr" --nik "$nik" \
  --email siti.rahmawati@kominfo.merantikab.go.id --out /dev/null || true

echo
echo "== A relying party checks it: chain, OCSP"
oa ca chain > "$work/chain.pem"
openssl verify -CAfile "$work/chain.pem" "$work/applicant.pem"
openssl ocsp -issuer "$OPENAMS_DIR/pki/issuing.crt" -cert "$work/applicant.pem" -reqout "$work/req.der" >/dev/null 2>&1
oa ca ocsp --req "$work/req.der" --out "$work/resp.der"
openssl ocsp -respin "$work/resp.der" -issuer "$OPENAMS_DIR/pki/issuing.crt" -CAfile "$work/chain.pem" \
  -cert "$work/applicant.pem" -no_nonce 2>&1 | grep -E 'verify|good|revoked'

echo
echo "== Passphrase known to others: revoke (RFC 5280 keyCompromise), CRL published"
oa ca revoke "$serial" --reason keyCompromise
openssl crl -inform DER -in "$OPENAMS_DIR/pki/issuing.crl" -noout -text | grep -E 'CRL Number|Serial Number|Key Compromise' -A1 | head -8

echo
echo "== Every step is in the hash-chained audit log"
oa audit verify

if "$top/build/src/cli/openams" sop --help >/dev/null 2>&1; then
  echo
  echo "== The agency's SOPs are data: check, and simulate issuance with an incomplete file"
  oa sop check "$OPENAMS_DIR"/sop/*.yaml || true
fi

cat <<MSG

Demo instance: $OPENAMS_DIR
  CA chain:    $OPENAMS_DIR/pki/chain.pem
  CRL:         $OPENAMS_DIR/pki/issuing.crl
  more:        build/src/cli/openams --help   (OPENAMS_DIR is set by this script;
               export OPENAMS_DIR=$OPENAMS_DIR to keep using it)
The web portal and its demo logins come with the server and portal issues.
MSG
