#!/bin/bash
# The demo instance (issue 21, items 7 and 9 of the portal part): one demo
# account per role of the installed SOPs, whatever they are (not a fixed
# list), each login with its NIK; the sample documents scripts/demo.sh offers
# are real PDFs (qpdf), the letter to sign carries its tag once.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
cd "$T"
# a share directory whose SOPs include one the code has never seen, with an
# actor no shipped SOP has ("sekda")
mkdir -p share
cp -r "$OPENAMS_SHARE/profiles" "$OPENAMS_SHARE/sop" share/
sed -e 's/^id: meranti-penerbitan/id: contoh-sekda/' -e 's/\bkabid\b/sekda/g' \
	"$OPENAMS_SHARE/sop/001-penerbitan-meranti.yaml" >share/sop/950-contoh-sekda.yaml
check "the new SOP is a valid definition" "$OPENAMS" sop check share/sop/950-contoh-sekda.yaml
OPENAMS_SHARE=$T/share new_instance "$T/d" --demo
L=$T/d/secrets/demo-logins.txt
check_eq "a demo account for the new SOP's actor" \
	"$(awk -F '\t' '$1 == "sekda.demo" {print $3}' "$L")" sekda
check_eq "... and still one per shipped role (kabid)" \
	"$(awk -F '\t' '$1 == "kabid.demo" {print $3}' "$L")" kabid
check_eq "every line: user, password, roles, NIK" "$(awk -F '\t' 'NF != 4' "$L" | wc -l)" 0
check_eq "the applicant's NIK is listed" \
	"$(awk -F '\t' '$1 == "pemohon.demo" {print $4}' "$L")" 1471015505900001
check_eq "the administrator has none" "$(awk -F '\t' '$1 == "admin.demo" {print $4}' "$L")" -
check_eq "the NIK listed is the account's" \
	"$("$OPENAMS" person show pemohon.demo --dir "$T/d" | sed -n 's/^nik: //p')" 1471015505900001
check_match "init prints the NIK column" "$(cat "$T/.init.out")" 'roles, NIK'
# a SOP directory without the shipped ones: accounts follow what is there
mkdir -p share2/sop && cp -r "$OPENAMS_SHARE/profiles" share2/ &&
	cp "$OPENAMS_SHARE/sop/004-pencabutan-sumbar.yaml" share2/sop/
OPENAMS_SHARE=$T/share2 new_instance "$T/d2" --demo
check_eq "only the installed SOP's roles: op, no kabid (SOP 004 alone)" \
	"$(cut -f 1 "$T/d2/secrets/demo-logins.txt" | sort | tr '\n' ' ')" \
	"admin.demo op.demo pemohon.demo "
# the sample documents
for f in surat-permohonan formulir-rekomendasi fc-ktp fc-sk surat-untuk-ditandatangani; do
	check "demo/$f.pdf is a valid PDF" qpdf --check "$OPENAMS_SHARE/demo/$f.pdf"
done
check_eq "the letter to sign has its tag once" \
	"$(pdftotext "$OPENAMS_SHARE/demo/surat-untuk-ditandatangani.pdf" - | grep -o '\$' | wc -l)" 1
check_match "the photo is a JPEG" "$(file -b "$OPENAMS_SHARE/demo/pasfoto.jpg")" '^JPEG image data'
finish
