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
# The demo accounts made by `openams init --demo` (secrets/demo-logins.txt).
applicant=pemohon.demo
nik=1471015505900001

say() { printf '\n== %s\n' "$*"; }

say "SOP 001 (Kab. Kepulauan Meranti): issuance, each role in turn"
oa sop simulate "$OPENAMS_DIR/sop/001-penerbitan-meranti.yaml" --no 5 | tail -4 || true
case_id=$(oa case open --sop meranti-penerbitan --as "$applicant" --role pemohon)
echo "case $case_id opened by $applicant (pemohon)"
for doc in surat_permohonan formulir_rekomendasi fc_ktp fc_sk; do
  printf '%%PDF-1.4\n%% %s\n' "$doc" > "$work/$doc.pdf"
  oa case attach "$case_id" --doc "$doc" --file "$work/$doc.pdf" --as "$applicant" --role pemohon
done
oa case act "$case_id" --step 1 --as "$applicant" --role pemohon
oa case act "$case_id" --step 2 --as kadis.demo --role kadis --note "Diteruskan ke Kabid"
oa case act "$case_id" --step 3 --as kabid.demo --role kabid --note "Diteruskan ke Verifikator"
oa case act "$case_id" --step 4 --as verifikator.demo --role verifikator
echo "(the applicant cannot approve their own file:)"
oa case act "$case_id" --step 5 --as "$applicant" --role verifikator --yes || true
oa case act "$case_id" --step 5 --as verifikator.demo --role verifikator --yes --note "Berkas lengkap"
oa case act "$case_id" --step 7 --as "$applicant" --role pemohon \
  --set name="Siti Rahmawati" --set nik="$nik" --set nip=198705122010012003 \
  --set email="siti.rahmawati@kominfo.merantikab.go.id" \
  --set organization="Pemerintah Kabupaten Kepulauan Meranti" --set unit="Dinas Kominfo"
oa case act "$case_id" --step 8 --as verifikator.demo --role verifikator --yes

say "Step 10: the applicant sets a passphrase; openams makes the key pair and seals it (Argon2id, AES-256-GCM)"
printf 'langit biru di atas selat panjang\n' > "$work/passphrase"
oa case act "$case_id" --step 10 --as "$applicant" --role pemohon --passphrase-file "$work/passphrase"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$work/applicant.key" -out "$work/applicant.csr" -subj "/CN=Siti Rahmawati" 2>/dev/null
out=$(oa case act "$case_id" --step 11 --as bsre.demo --role bsre)
echo "$out"
serial=$(printf '%s\n' "$out" | sed -n 's/.*issued \([0-9a-f]*\).*/\1/p')
oa case show "$case_id"
oa ca cert "$serial" --out "$work/applicant.pem"
oa ca status "$serial"

say "The same person cannot hold two active certificates"
oa ca issue --csr "$work/applicant.csr" --nik "$nik" --org "Pemerintah Kabupaten Kepulauan Meranti" \
  --email siti.rahmawati@kominfo.merantikab.go.id --out /dev/null || true

say "A relying party checks it: chain, OCSP"
oa ca chain > "$work/chain.pem"
openssl verify -CAfile "$work/chain.pem" "$work/applicant.pem"
openssl ocsp -issuer "$OPENAMS_DIR/pki/issuing.crt" -cert "$work/applicant.pem" -reqout "$work/req.der" >/dev/null 2>&1
oa ca ocsp --req "$work/req.der" --out "$work/resp.der"
openssl ocsp -respin "$work/resp.der" -reqin "$work/req.der" -CAfile "$work/chain.pem" 2>&1 | head -1
openssl ocsp -respin "$work/resp.der" -resp_text -noverify | grep -E 'Cert Status'

say "SOP 004 (Prov. Sumatera Barat): revocation for a forgotten passphrase"
rev=$(oa case open --sop sumbar-pencabutan --as "$applicant" --role pemohon --nik "$nik" --serial "$serial")
printf '%%PDF-1.4\n%% surat keterangan\n' > "$work/surat.pdf"
oa case show "$rev" | head -1
for doc in surat_keterangan formulir_surat_keterangan; do
  oa case attach "$rev" --doc "$doc" --file "$work/surat.pdf" --as "$applicant" --role pemohon
done
for i in $(seq 1 12); do
  cur=$("$top/build/src/cli/openams" case show "$rev" | awk -F'\t' '$1 == "  current" {print $2, $3, $4}')
  [ -n "$cur" ] || break
  read -r step action roles <<<"$cur"
  role=${roles%%,*}
  who=$role.demo; [ "$role" = pemohon ] && who=$applicant
  flags=(); [ "$action" = decide ] && flags+=(--yes)
  [ "$role" = pemohon ] && flags+=(--reason lupa_passphrase)
  oa case act "$rev" --step "$step" --as "$who" --role "$role" "${flags[@]}"
done
oa ca status "$serial" | grep -E 'status|reason'
openssl crl -inform DER -in "$OPENAMS_DIR/pki/issuing.crl" -noout -text | grep -E 'CRL Number' -A1 | head -2

say "The e-mails these steps wrote to the outbox (no mail server configured: kept for reading)"
oa mail list | head -12
for id in $("$top/build/src/cli/openams" mail list | awk '$1 ~ /^[0-9]+$/ {print $1}' | tail -1); do
  oa mail show "$id" | sed -n '1,40p'
done

say "Service levels (mutu baku) measured so far"
oa case sla --sop meranti-penerbitan | head -14

say "Every step is in the hash-chained audit log"
oa audit verify

cat <<MSG

Demo logins (user, password, roles), from $OPENAMS_DIR/secrets/demo-logins.txt:
$(cat "$OPENAMS_DIR/secrets/demo-logins.txt")

Demo instance: $OPENAMS_DIR
  CA chain:    $OPENAMS_DIR/pki/chain.pem
  CRL:         $OPENAMS_DIR/pki/issuing.crl
  more:        build/src/cli/openams --help   (OPENAMS_DIR is set by this script;
               export OPENAMS_DIR=$OPENAMS_DIR to keep using it)
  SOP forms:   build/src/cli/openams sop render $OPENAMS_DIR/sop/001-penerbitan-meranti.yaml --format html > form.html
MSG

# The server: public PKI endpoints and the JSON API (the portal pages come
# with the portal issue).  Interactive runs start it; scripted runs say how.
addr=127.0.0.1:8080
if [ -t 0 ] && [ -t 1 ] && [ "${OPENAMS_DEMO_NO_SERVE:-}" = "" ]; then
  echo
  echo "Serving on http://$addr  (CRL: /pki/issuing.crl, OCSP: /ocsp, API: /api/v1, health: /healthz)"
  echo "Press Ctrl-C to stop."
  exec "$top/build/src/cli/openams" serve --listen "$addr"
else
  echo "Start the server with: OPENAMS_DIR=$OPENAMS_DIR build/src/cli/openams serve --listen $addr"
fi
