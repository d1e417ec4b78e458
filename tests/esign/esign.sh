#!/bin/bash
# esign.sh - the BSrE "Esign Client Service" API of `openams serve`
# (src/esign, docs/ESIGN_API.md): client applications registered with
# `openams sign client`, HTTP Basic, then the guide's requests replayed with
# curl: v1 multipart sign (the signed PDF and its id_dokumen header), the
# one download, verify, user status; v2 JSON sign (several files), verify,
# check status; and the errors: wrong passphrase, unknown NIK, no
# certificate, revoked, locked, wrong or revoked credentials, an address not
# allowed, the rate, a broken PDF, oversized bodies, visible signatures,
# downloading twice.  Signed PDFs are checked by pdfsig and qpdf --check.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TEST_TAG=esign
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$HERE/../lib/common.sh"
: "${ESIGN_FIXTURE:?ESIGN_FIXTURE names the fixture program}"

D=$T/data
new_instance "$D" --demo
cat >>"$D/openams.conf" <<'CONF'
keys.argon2_memory_kib = 64
keys.argon2_iterations = 1
keys.argon2_parallelism = 1
keys.max_failures = 3
esign.keep_seconds = 600
CONF
cd "$T"

PHRASE='kopi tubruk di pagi hari 7'
WRONG='teh manis di sore hari 99'
NIK_OK=3201015505900001
NIK_REV=3201015505900002
NIK_LOCK=3201015505900003
NIK_REG=3201015505900004
NIK_RENEW=3201015505900005
NIK_NONE=3201015505900009

# ---- holders, a registered person without a certificate, a PDF -------------
check "holder with a sealed key" "$ESIGN_FIXTURE" "$D" "$NIK_OK" "$PHRASE"
check "holder whose certificate is revoked" "$ESIGN_FIXTURE" "$D" "$NIK_REV" "$PHRASE" revoke
check "holder who will be locked" "$ESIGN_FIXTURE" "$D" "$NIK_LOCK" "$PHRASE"
ORG=kominfo
check "person registered without a certificate" "$OPENAMS" person add --dir "$D" --id siti \
	--name "Siti Aminah" --email siti.aminah@kominfo.go.id --org "$ORG" --nik "$NIK_REG"
# A holder whose certificate is being renewed: an open renewal case (SOP 900),
# opened ten days before the certificate expires (the renewal window).
SERIAL_RENEW=$("$ESIGN_FIXTURE" "$D" "$NIK_RENEW" "$PHRASE")
check "person of the renewing holder" "$OPENAMS" person add --dir "$D" --id budi.renew \
	--name "Budi Santoso" --email budi.renew@kominfo.go.id --org "$ORG" --nik "$NIK_RENEW"
"$OPENAMS" ca cert --dir "$D" "$SERIAL_RENEW" >renew.pem
RENEW_AT=$(date -u -d "$(openssl x509 -in renew.pem -noout -enddate | cut -d= -f2) - 10 days" \
	+%Y-%m-%dT%H:%M:%SZ)
check "a renewal case opened in the window" env OPENAMS_NOW="$RENEW_AT" "$OPENAMS" case open \
	--dir "$D" --org "$ORG" --sop contoh-pembaruan --as budi.renew --role pemohon \
	--nik "$NIK_RENEW" --serial "$SERIAL_RENEW"

"$PY" - <<'PY'
objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length 42 >>\nstream\nBT /F1 12 Tf 72 720 Td (Surat Tugas) Tj ET\nendstream"]
out = bytearray(b"%PDF-1.7\n")
off = []
for i, o in enumerate(objs):
    off.append(len(out))
    out += b"%d 0 obj\n%s\nendobj\n" % (i + 1, o)
x = len(out)
out += b"xref\n0 5\n0000000000 65535 f\r\n"
for o in off:
    out += b"%010d 00000 n\r\n" % o
out += b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % x
open("surat.pdf", "wb").write(out)
open("broken.pdf", "wb").write(out[: len(out) // 2])
import struct, zlib
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
w, h = 40, 20
raw = b"".join(b"\0" + b"".join(bytes([(x * 6) % 256, 40, 120]) for x in range(w))
               for _ in range(h))
png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
       chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
open("ttd.png", "wb").write(png)
PY
check "qpdf accepts the test PDF" qpdf --check surat.pdf

# ---- client applications ---------------------------------------------------
client_add() { # client_add USERNAME [options]: prints the secret
	"$OPENAMS" sign client add --dir "$D" --org "$ORG" --username "$@" | sed -n 's/^secret: //p'
}
SECRET=$(client_add eoffice --info "e-office Kominfo")
check_match "client secret shown once" "$SECRET" '^oas_[A-Za-z0-9_-]{43}$'
OTHER=$(client_add hr-app)
TINY=$(client_add tiny --rate 2)
KUNCI=$(client_add kunci --rate 1000) # the password-protected PDFs' requests
FAR=$(client_add far --ip 10.9.9.9)
check "revoke a client" "$OPENAMS" sign client revoke --dir "$D" --username hr-app
check_not "a revoked client stays revoked" "$OPENAMS" sign client revoke --dir "$D" --username hr-app
check_not "a username is taken for ever" "$OPENAMS" sign client add --dir "$D" --org "$ORG" --username hr-app
LIST=$("$OPENAMS" sign client list --dir "$D" --org "$ORG")
check_match "list shows the revoked client" "$LIST" 'hr-app.*state=revoked'
check_match "list shows the live client" "$LIST" 'eoffice.*state=enabled.*rate=60/min'
check_nomatch "list never shows a secret" "$LIST" 'oas_'

PORT=$(free_port)
start_server "$D" "$PORT" "$T/serve.log"

# req NAME WANT_STATUS OUTFILE curl-args...: the status of one request
req() {
	local name=$1 want=$2 out=$3 got
	shift 3
	got=$(curl -sS -m 120 -o "$out" -D "$T/hdr" -w '%{http_code}' "$@") || got=curl-failed
	check_eq "$name: HTTP $want" "$want" "$got"
}
jf() { jq -r "$1" "$2" 2>/dev/null || echo "not-json"; }
AUTH=(-u "eoffice:$SECRET")

# ---- an agency administrator manages client applications (JSON API) -------
login() { # login USER: the cookie jar $T/USER.jar and the CSRF token on stdout
	local pw
	pw=$(awk -F '\t' -v u="$1" '$1 == u {print $2}' "$D/secrets/demo-logins.txt")
	jq -n --arg u "$1" --arg p "$pw" '{username: $u, password: $p}' |
		curl -sS -m 30 -c "$T/$1.jar" -H 'Content-Type: application/json' --data-binary @- \
			"$BASE/api/v1/session" | jq -r .csrf
}
CSRF=$(login admin.demo)
ADM=(-b "$T/admin.demo.jar" -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json')
req "API: register a client" 201 c.json "${ADM[@]}" \
	-d '{"username": "api-made", "info": "aplikasi persuratan", "rate_per_min": 30}' "$BASE/api/v1/esign/clients"
MADE=$(jf .secret c.json)
check_match "API: the secret, once" "$MADE" '^oas_[A-Za-z0-9_-]{43}$'
check_eq "API: its agency" "$ORG" "$(jf .org c.json)"
check_eq "API: its rate" 30 "$(jf .rate_per_min c.json)"
req "API: the username is taken" 409 e.json "${ADM[@]}" -d '{"username": "api-made"}' "$BASE/api/v1/esign/clients"
req "API: a bad username" 422 e.json "${ADM[@]}" -d '{"username": "a b"}' "$BASE/api/v1/esign/clients"
req "API: list" 200 l.json -b "$T/admin.demo.jar" "$BASE/api/v1/esign/clients"
check_eq "API: list has every client of the agency" "api-made eoffice far hr-app kunci tiny" \
	"$(jq -r '[.clients[].username] | sort | join(" ")' l.json)"
check_eq "API: list shows no secret" 0 "$(grep -c oas_ l.json || true)"
req "API: the new client works" 200 e.json -u "api-made:$MADE" "$BASE/api/user/status/$NIK_OK"
req "API: disable" 200 c.json "${ADM[@]}" -X POST "$BASE/api/v1/esign/clients/api-made/disable"
check_eq "API: disabled" disabled "$(jf .state c.json)"
req "API: a disabled client is refused" 401 e.json -u "api-made:$MADE" "$BASE/api/user/status/$NIK_OK"
req "API: enable" 200 c.json "${ADM[@]}" -X POST "$BASE/api/v1/esign/clients/api-made/enable"
req "API: enabled again" 200 e.json -u "api-made:$MADE" "$BASE/api/user/status/$NIK_OK"
req "API: revoke" 204 e.json "${ADM[@]}" -X DELETE "$BASE/api/v1/esign/clients/api-made"
req "API: revoke twice" 409 e.json "${ADM[@]}" -X DELETE "$BASE/api/v1/esign/clients/api-made"
req "API: a revoked client is refused" 401 e.json -u "api-made:$MADE" "$BASE/api/user/status/$NIK_OK"
req "API: enable a revoked client" 409 e.json "${ADM[@]}" -X POST "$BASE/api/v1/esign/clients/api-made/enable"
req "API: no such client" 404 e.json "${ADM[@]}" -X POST "$BASE/api/v1/esign/clients/nobody/disable"
login pemohon.demo >/dev/null
req "API: not an administrator" 403 e.json -b "$T/pemohon.demo.jar" "$BASE/api/v1/esign/clients"
req "API: not signed in" 401 e.json "$BASE/api/v1/esign/clients"
req "API: client credentials are not an API login" 401 e.json -u "eoffice:$SECRET" "$BASE/api/v1/esign/clients"

# ---- v1 sign (the guide's example a: invisible) ----------------------------
req "v1 sign" 200 signed.pdf "${AUTH[@]}" -F file=@surat.pdf -F nik=$NIK_OK \
	-F "passphrase=$PHRASE" -F tampilan=invisible -F reason="Dokumen telah disetujui" \
	-F location=Jakarta "$BASE/api/sign/pdf"
ID=$(sed -n 's/^id_dokumen: *\([0-9a-f]*\).*/\1/Ip' "$T/hdr" | tr -d '\r')
check_match "v1 sign: id_dokumen header" "$ID" '^[0-9a-f]{32}$'
check_match "v1 sign: application/pdf" "$(grep -i '^content-type' "$T/hdr")" 'application/pdf'
SIG=$(pdfsig signed.pdf 2>&1 || true)
check_match "pdfsig: signature valid" "$SIG" 'Signature Validation: Signature is Valid'
# PAdES B-LT (the instance has a TSA): the signature, then a /DSS update after it
check_match "pdfsig: the signature covers all but the /DSS update after it" "$SIG" \
	'Not total document signed'
VER=$("$OPENAMS" sign verify --dir "$D" --in signed.pdf || true)
check_match "sign verify: intact, time-stamped, with validation data (B-LT)" \
	"$(grep -E 'intact|time-stamp:|validation data|after it' <<<"$VER" | tr '\n' ' ')" \
	"intact: yes.*after it: only later signatures and validation data.*time-stamp: valid.*validation data \(/DSS /VRI\): yes"
check "qpdf --check on the signed PDF" qpdf --check signed.pdf
check "the original is an exact prefix" cmp -n "$(stat -c %s surat.pdf)" surat.pdf signed.pdf
check_eq "the kept copy is 0600" 600 "$(stat -c %a "$D/esign/$ID.pdf")"

# ---- v1 download: once -----------------------------------------------------
req "v1 download" 200 dl.pdf "${AUTH[@]}" "$BASE/api/sign/download/$ID"
check "v1 download: the signed bytes" cmp dl.pdf signed.pdf
check_not "v1 download: the file is gone" test -e "$D/esign/$ID.pdf"
req "v1 download twice" 404 e.json "${AUTH[@]}" "$BASE/api/sign/download/$ID"
check_eq "v1 download twice: code" DOCUMENT_NOT_FOUND "$(jf .code e.json)"
check_eq "v1 download twice: status_code" 404 "$(jf .status_code e.json)"
req "v1 download of a made-up id" 404 e.json "${AUTH[@]}" "$BASE/api/sign/download/..%2Fopenams.conf"

# ---- v1 verify -------------------------------------------------------------
req "v1 verify" 200 v.json "${AUTH[@]}" -F signed_file=@signed.pdf "$BASE/api/sign/verify"
check_eq "v1 verify: nama_dokumen" signed.pdf "$(jf .nama_dokumen v.json)"
check_eq "v1 verify: jumlah_signature" 1 "$(jf .jumlah_signature v.json)"
check_eq "v1 verify: summary" VALID "$(jf .summary v.json)"
check_eq "v1 verify: document_integrity" true "$(jf '.details[0].signature_document.document_integrity' v.json)"
check_eq "v1 verify: reason" "Dokumen telah disetujui" "$(jf '.details[0].signature_document.reason' v.json)"
check_eq "v1 verify: location" Jakarta "$(jf '.details[0].signature_document.location' v.json)"
check_eq "v1 verify: cert_user_certified" true "$(jf '.details[0].info_signer.cert_user_certified' v.json)"
check_match "v1 verify: signer_name" "$(jf '.details[0].info_signer.signer_name' v.json)" 'Pejabat'
check_match "v1 verify: signed_in" "$(jf '.details[0].signature_document.signed_in' v.json)" \
	'^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.00$'
check_eq "v1 verify: signed_using_tsa (the instance's TSA)" true "$(jf '.details[0].signature_document.signed_using_tsa' v.json)"
check_match "v1 verify: info_tsa.name" "$(jf '.details[0].info_tsa.name' v.json)" '.'
check_eq "v1 verify: signature_field present" true "$(jf '.details[0] | has("signature_field") and has("info_tsa")' v.json)"
req "v1 verify of an unsigned PDF" 200 v0.json "${AUTH[@]}" -F signed_file=@surat.pdf "$BASE/api/sign/verify"
check_eq "v1 verify unsigned: jumlah_signature" 0 "$(jf .jumlah_signature v0.json)"
check_eq "v1 verify unsigned: summary" NO_SIGNATURE "$(jf .summary v0.json)"
req "v1 verify of a broken PDF" 400 e.json "${AUTH[@]}" -F signed_file=@broken.pdf "$BASE/api/sign/verify"
check_eq "v1 verify broken: code" PDF_INVALID "$(jf .code e.json)"

# ---- v1 user status --------------------------------------------------------
st() { # st NIK WANT
	req "v1 status of $1" 200 s.json "${AUTH[@]}" "$BASE/api/user/status/$1"
	check_eq "v1 status of $1: $2" "$2" "$(jf .status s.json)"
}
st $NIK_OK ISSUE
st $NIK_REV REVOKE
st $NIK_REG NO_CERTIFICATE
st $NIK_NONE NOT_REGISTERED
req "v1 status of a bad NIK" 400 e.json "${AUTH[@]}" "$BASE/api/user/status/12345"
check_eq "v1 status of a bad NIK: code" INVALID_REQUEST "$(jf .code e.json)"

# ---- v1 errors -------------------------------------------------------------
sign1() { # sign1 NAME STATUS CODE NIK PASSPHRASE [FILE] [more curl args]
	local name=$1 want=$2 code=$3 nik=$4 pass=$5 file=${6:-surat.pdf}
	shift 6 2>/dev/null || shift $#
	req "$name" "$want" e.json "${AUTH[@]}" -F "file=@$file" -F "nik=$nik" \
		-F "passphrase=$pass" -F tampilan=invisible "$@" "$BASE/api/sign/pdf"
	check_eq "$name: code" "$code" "$(jf .code e.json)"
	check_eq "$name: status_code" "$want" "$(jf .status_code e.json)"
	check_eq "$name: readable error" true "$(jf '.error | length > 0' e.json)"
}
sign1 "wrong passphrase" 400 PASSPHRASE_INVALID $NIK_OK "$WRONG"
sign1 "unknown NIK" 404 NOT_REGISTERED $NIK_NONE "$PHRASE"
sign1 "no certificate" 404 NO_CERTIFICATE $NIK_REG "$PHRASE"
sign1 "revoked certificate" 403 CERTIFICATE_REVOKED $NIK_REV "$PHRASE"
sign1 "broken PDF" 400 PDF_INVALID $NIK_OK "$PHRASE" broken.pdf
check_nomatch "broken PDF: no stack trace" "$(cat e.json)" 'at 0x|Traceback|internal'
for i in 1 2 3; do
	sign1 "wrong passphrase $i for the lock" 400 PASSPHRASE_INVALID $NIK_LOCK "$WRONG"
done
sign1 "locked key" 403 KEY_LOCKED $NIK_LOCK "$PHRASE"
st $NIK_LOCK SUSPEND
# rect FILE: the /Rect of the last signature widget, as "llx lly urx ury" (integers)
rect() {
	"$PY" - "$1" <<'PY'
import sys, pikepdf
pdf = pikepdf.open(sys.argv[1])
r = None
for page in pdf.pages:
    for a in page.obj.get("/Annots", []):
        if a.get("/FT") == "/Sig":
            r = [round(float(v)) for v in a.Rect]
print(" ".join(map(str, r)) if r else "none")
PY
}
# the guide's example b (visible, image=true with imageTTD) and c (linkQR):
# v1 gives the box's lower-left corner (xAxis, yAxis) and upper-right (width, height)
req "v1 visible with imageTTD" 200 vis1.pdf "${AUTH[@]}" -F file=@surat.pdf -F nik=$NIK_OK \
	-F "passphrase=$PHRASE" -F tampilan=visible -F image=true -F imageTTD=@ttd.png -F page=1 \
	-F xAxis=10 -F yAxis=10 -F width=100 -F height=200 "$BASE/api/sign/pdf"
ID1=$(sed -n 's/^id_dokumen: *\([0-9a-f]*\).*/\1/Ip' "$T/hdr" | tr -d '\r')
check "v1 visible image: kept for download" test -f "$D/esign/$ID1.pdf"
# a document never downloaded is deleted after esign.keep_seconds (600 s here)
touch -d '20 minutes ago' "$D/esign/$ID1.pdf"
req "a download sweeps old documents" 404 e.json "${AUTH[@]}" "$BASE/api/sign/download/0123456789abcdef0123456789abcdef"
check_not "a document older than esign.keep_seconds is gone" test -e "$D/esign/$ID1.pdf"
req "its download" 404 e.json "${AUTH[@]}" "$BASE/api/sign/download/$ID1"
SIG=$(pdfsig vis1.pdf 2>&1 || true)
check_match "v1 visible image: pdfsig valid" "$SIG" 'Signature Validation: Signature is Valid'
check "v1 visible image: qpdf --check" qpdf --check vis1.pdf
check_eq "v1 visible image: the box (llx lly urx ury)" "10 10 100 200" "$(rect vis1.pdf)"
req "v1 visible with linkQR" 200 vis2.pdf "${AUTH[@]}" -F file=@surat.pdf -F nik=$NIK_OK \
	-F "passphrase=$PHRASE" -F tampilan=visible -F image=false \
	-F linkQR=https://openams.example/verify/abc -F page=1 -F xAxis=300 -F yAxis=50 \
	-F width=500 -F height=130 -F "text=Ditandatangani secara elektronik" "$BASE/api/sign/pdf"
SIG=$(pdfsig vis2.pdf 2>&1 || true)
check_match "v1 visible QR: pdfsig valid" "$SIG" 'Signature Validation: Signature is Valid'
check_eq "v1 visible QR: the box" "300 50 500 130" "$(rect vis2.pdf)"
# halaman instead of page: the last page of a three-page document
"$PY" - <<'PY'
objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R 4 0 R 5 0 R] /Count 3 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"]
out = bytearray(b"%PDF-1.7\n")
off = []
for i, o in enumerate(objs):
    off.append(len(out))
    out += b"%d 0 obj\n%s\nendobj\n" % (i + 1, o)
x = len(out)
out += b"xref\n0 6\n0000000000 65535 f\r\n"
for o in off:
    out += b"%010d 00000 n\r\n" % o
out += b"trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % x
open("three.pdf", "wb").write(out)
PY
req "v1 visible on halaman akhir" 200 vis3.pdf "${AUTH[@]}" -F file=@three.pdf -F nik=$NIK_OK \
	-F "passphrase=$PHRASE" -F tampilan=visible -F image=false -F linkQR=https://openams.example/v \
	-F halaman=akhir -F xAxis=20 -F yAxis=20 -F width=220 -F height=100 "$BASE/api/sign/pdf"
check_eq "v1 halaman akhir: on page 3" 3 "$("$PY" -c 'import sys, pikepdf
pdf = pikepdf.open(sys.argv[1])
print([i + 1 for i, p in enumerate(pdf.pages) for a in p.obj.get("/Annots", []) if a.get("/FT") == "/Sig"][-1])' vis3.pdf)"
SIG=$(pdfsig vis3.pdf 2>&1 || true)
check_match "v1 halaman akhir: pdfsig valid" "$SIG" 'Signature Validation: Signature is Valid'
# tag_koordinat: a "$" in the text of page 2; width and height are the box's
# size, centred where poppler's pdftotext sees the tag (y from the top)
"$PY" "$(dirname "$0")/../sign/mkpdf.py" tag.pdf 2 --tag '300,200,$'
tagbox() { # tagbox W H: the expected "llx lly urx ury" (integers)
	pdftotext -f 2 -l 2 -bbox tag.pdf - | "$PY" -c '
import re, sys
w, h = float(sys.argv[1]), float(sys.argv[2])
m = re.search(r"xMin=\"([0-9.]+)\" yMin=\"([0-9.]+)\" xMax=\"([0-9.]+)\" yMax=\"([0-9.]+)\">\$<", sys.stdin.read())
x0, y0, x1, y1 = map(float, m.groups())
cx, cy = (x0 + x1) / 2, 842 - (y0 + y1) / 2
print(" ".join(str(round(v)) for v in (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)))' "$1" "$2"
}
tagpage() { "$PY" -c 'import sys, pikepdf
pdf = pikepdf.open(sys.argv[1])
print([i + 1 for i, p in enumerate(pdf.pages) for a in p.obj.get("/Annots", []) if a.get("/FT") == "/Sig"][-1])' "$1"; }
req "v1 visible at a tag" 200 vtag.pdf "${AUTH[@]}" -F file=@tag.pdf -F nik=$NIK_OK \
	-F "passphrase=$PHRASE" -F tampilan=visible -F image=true -F imageTTD=@ttd.png \
	-F width=100 -F height=50 -F 'tag_koordinat=$' "$BASE/api/sign/pdf"
check_eq "v1 tag_koordinat: on page 2" 2 "$(tagpage vtag.pdf)"
check_eq "v1 tag_koordinat: the box centred on the tag" "$(tagbox 100 50)" "$(rect vtag.pdf)"
SIG=$(pdfsig vtag.pdf 2>&1 || true)
check_match "v1 tag_koordinat: pdfsig valid" "$SIG" 'Signature Validation: Signature is Valid'
req "v1 visible at a tag the text lacks" 400 e.json "${AUTH[@]}" -F file=@tag.pdf -F nik=$NIK_OK \
	-F "passphrase=$PHRASE" -F tampilan=visible -F image=true -F imageTTD=@ttd.png \
	-F width=100 -F height=50 -F 'tag_koordinat=#' "$BASE/api/sign/pdf"
check_eq "v1 absent tag: code" VISUAL_INVALID "$(jf .code e.json)"
req "v1 visible, box upside down" 400 e.json "${AUTH[@]}" -F file=@surat.pdf -F nik=$NIK_OK \
	-F "passphrase=$PHRASE" -F tampilan=visible -F image=false -F linkQR=x -F page=1 \
	-F xAxis=100 -F yAxis=100 -F width=50 -F height=50 "$BASE/api/sign/pdf"
check_eq "v1 box upside down: code" INVALID_REQUEST "$(jf .code e.json)"
req "v1 visible, no page 9" 400 e.json "${AUTH[@]}" -F file=@surat.pdf -F nik=$NIK_OK \
	-F "passphrase=$PHRASE" -F tampilan=visible -F image=false -F linkQR=x -F page=9 \
	-F xAxis=10 -F yAxis=10 -F width=50 -F height=50 "$BASE/api/sign/pdf"
check_eq "v1 no page 9: code" VISUAL_INVALID "$(jf .code e.json)"
req "v1 visible, not an image" 400 e.json "${AUTH[@]}" -F file=@surat.pdf -F nik=$NIK_OK \
	-F "passphrase=$PHRASE" -F tampilan=visible -F image=true -F imageTTD=@surat.pdf -F page=1 \
	-F xAxis=10 -F yAxis=10 -F width=50 -F height=50 "$BASE/api/sign/pdf"
check_eq "v1 not an image: code" VISUAL_INVALID "$(jf .code e.json)"
req "no file" 400 e.json "${AUTH[@]}" -F nik=$NIK_OK -F "passphrase=$PHRASE" "$BASE/api/sign/pdf"
req "not multipart" 415 e.json "${AUTH[@]}" -d nik=$NIK_OK "$BASE/api/sign/pdf"
head -c $((64 * 1024 * 1024 + 300 * 1024)) /dev/zero >big.pdf
req "oversized body" 413 e.json "${AUTH[@]}" -F file=@big.pdf -F nik=$NIK_OK "$BASE/api/sign/pdf"
rm -f big.pdf

# ---- credentials -----------------------------------------------------------
for pair in "eoffice:wrong" "nobody:$SECRET" "hr-app:$OTHER" "far:$FAR"; do
	req "credentials ${pair%%:*} refused" 401 e.json -u "$pair" "$BASE/api/user/status/$NIK_OK"
	check_eq "credentials ${pair%%:*}: code" UNAUTHORIZED "$(jf .code e.json)"
	check_match "credentials ${pair%%:*}: WWW-Authenticate" "$(cat "$T/hdr")" 'WWW-Authenticate: Basic'
done
req "no credentials" 401 e.json "$BASE/api/sign/verify" -F signed_file=@signed.pdf
req "no credentials on v2" 401 e.json -H 'Content-Type: application/json' -d '{}' "$BASE/api/v2/verify/pdf"
req "rate 1" 200 e.json -u "tiny:$TINY" "$BASE/api/user/status/$NIK_OK"
req "rate 2" 200 e.json -u "tiny:$TINY" "$BASE/api/user/status/$NIK_OK"
req "rate 3 is over" 429 e.json -u "tiny:$TINY" "$BASE/api/user/status/$NIK_OK"
check_eq "rate: code" RATE_LIMITED "$(jf .code e.json)"

# ---- v2 sign (JSON, base64, several files) ---------------------------------
B64=$(base64 -w0 surat.pdf)
jq -n --arg nik $NIK_OK --arg p "$PHRASE" --arg f "$B64" '{nik: $nik, passphrase: $p,
	signatureProperties: [{tampilan: "INVISIBLE", location: "Jakarta", reason: "Tanda tangan elektronik"}],
	file: [$f, $f]}' >v2.json
req "v2 sign two files" 200 v2out.json "${AUTH[@]}" -H 'Content-Type: application/json' \
	--data-binary @v2.json "$BASE/api/v2/sign/pdf"
check_eq "v2 sign: two files back" 2 "$(jf '.file | length' v2out.json)"
check_eq "v2 sign: time" number "$(jf '.time | type' v2out.json)"
for i in 0 1; do
	jq -r ".file[$i]" v2out.json | base64 -d >"v2-$i.pdf"
	SIG=$(pdfsig "v2-$i.pdf" 2>&1 || true)
	check_match "v2 sign file $i: pdfsig valid" "$SIG" 'Signature Validation: Signature is Valid'
	check "v2 sign file $i: qpdf --check" qpdf --check "v2-$i.pdf"
done
v2sign() { # v2sign NAME STATUS CODE JSON
	printf '%s' "$4" >v2e.json
	req "$1" "$2" e.json "${AUTH[@]}" -H 'Content-Type: application/json' \
		--data-binary @v2e.json "$BASE/api/v2/sign/pdf"
	check_eq "$1: code" "$3" "$(jf .code e.json)"
}
# the guide's example d: several kinds at once; v2 measures from the top left
jq -n --arg nik $NIK_OK --arg p "$PHRASE" --arg f "$B64" --arg img "$(base64 -w0 ttd.png)" '{nik: $nik,
	passphrase: $p, signatureProperties: [
	{tampilan: "VISIBLE", imageBase64: $img, page: 1, originX: 10, originY: 10, width: 200,
	 height: 100, location: "Jakarta", reason: "Tanda tangan elektronik"},
	{tampilan: "INVISIBLE", location: null, reason: "Tanda tangan elektronik"}],
	file: [$f, $f]}' >v2vis.json
req "v2 visible and invisible" 200 v2vis-out.json "${AUTH[@]}" -H 'Content-Type: application/json' \
	--data-binary @v2vis.json "$BASE/api/v2/sign/pdf"
jq -r '.file[0]' v2vis-out.json | base64 -d >v2vis-0.pdf
jq -r '.file[1]' v2vis-out.json | base64 -d >v2vis-1.pdf
SIG=$(pdfsig v2vis-0.pdf 2>&1 || true)
check_match "v2 visible: pdfsig valid" "$SIG" 'Signature Validation: Signature is Valid'
check "v2 visible: qpdf --check" qpdf --check v2vis-0.pdf
check_eq "v2 visible: the box from the top left (595x842 page)" "10 732 210 832" "$(rect v2vis-0.pdf)"
check_eq "v2 invisible beside it: an empty box" "0 0 0 0" "$(rect v2vis-1.pdf)"
# a page with /Rotate 90 (595 x 842, seen as 842 x 595): the box from the top
# left of the page as seen; in user space it is turned (x = 595 - y seen)
"$PY" "$HERE/../sign/mkpdf.py" rot90.pdf 1 --rotate 90
jq --arg f "$(base64 -w0 rot90.pdf)" '.file = [$f] | .signatureProperties |= [.[0]]' v2vis.json \
	>v2rot.json
req "v2 visible on a page with /Rotate 90" 200 v2rot-out.json "${AUTH[@]}" \
	-H 'Content-Type: application/json' --data-binary @v2rot.json "$BASE/api/v2/sign/pdf"
jq -r '.file[0]' v2rot-out.json | base64 -d >v2rot.pdf
check_eq "v2 visible, /Rotate 90: the box turned into user space" "10 10 110 210" "$(rect v2rot.pdf)"
check_match "v2 visible, /Rotate 90: pdfsig valid" "$(pdfsig v2rot.pdf 2>&1 || true)" \
	'Signature Validation: Signature is Valid'
# the guide's example c: VISIBLE at tag_koordinat "$", width and height the size
jq -n --arg nik $NIK_OK --arg p "$PHRASE" --arg f "$(base64 -w0 tag.pdf)" --arg img "$(base64 -w0 ttd.png)" \
	'{nik: $nik, passphrase: $p, signatureProperties: [{tampilan: "VISIBLE", tag_koordinat: "$",
	imageBase64: $img, width: 200, height: 100}], file: [$f]}' >v2tag.json
req "v2 visible at a tag" 200 v2tag-out.json "${AUTH[@]}" -H 'Content-Type: application/json' \
	--data-binary @v2tag.json "$BASE/api/v2/sign/pdf"
jq -r '.file[0]' v2tag-out.json | base64 -d >v2tag.pdf
check_eq "v2 tag_koordinat: on page 2" 2 "$(tagpage v2tag.pdf)"
check_eq "v2 tag_koordinat: the box centred on the tag" "$(tagbox 200 100)" "$(rect v2tag.pdf)"
SIG=$(pdfsig v2tag.pdf 2>&1 || true)
check_match "v2 tag_koordinat: pdfsig valid" "$SIG" 'Signature Validation: Signature is Valid'
v2sign "v2 visible at a tag the text lacks" 400 VISUAL_INVALID "{\"nik\":\"$NIK_OK\",\"passphrase\":\"$PHRASE\",
	\"signatureProperties\":[{\"tampilan\":\"VISIBLE\",\"tag_koordinat\":\"$\",\"imageBase64\":\"$(base64 -w0 ttd.png)\",
	\"width\":200,\"height\":100}],\"file\":[\"$B64\"]}"
v2sign "v2 visible without image" 400 INVALID_REQUEST "{\"nik\":\"$NIK_OK\",\"passphrase\":\"$PHRASE\",
	\"signatureProperties\":[{\"tampilan\":\"VISIBLE\",\"page\":1,\"originX\":10,
	\"originY\":10,\"width\":200,\"height\":100}],\"file\":[\"$B64\"]}"
v2sign "v2 visible on page 3 of 1" 400 VISUAL_INVALID "{\"nik\":\"$NIK_OK\",\"passphrase\":\"$PHRASE\",
	\"signatureProperties\":[{\"tampilan\":\"VISIBLE\",\"imageBase64\":\"$(base64 -w0 ttd.png)\",\"page\":3,\"originX\":10,
	\"originY\":10,\"width\":200,\"height\":100}],\"file\":[\"$B64\"]}"
v2sign "v2 totp, holder not opted in" 403 TOTP_NOT_ENABLED "{\"nik\":\"$NIK_OK\",\"totp\":\"123456\",\"file\":[\"$B64\"]}"
v2sign "v2 wrong passphrase" 400 PASSPHRASE_INVALID "{\"nik\":\"$NIK_OK\",\"passphrase\":\"$WRONG\",\"file\":[\"$B64\"]}"
v2sign "v2 by unknown email" 404 NOT_REGISTERED "{\"email\":\"tidak.ada@kominfo.go.id\",\"passphrase\":\"$PHRASE\",\"file\":[\"$B64\"]}"
v2sign "v2 revoked" 403 CERTIFICATE_REVOKED "{\"nik\":\"$NIK_REV\",\"passphrase\":\"$PHRASE\",\"file\":[\"$B64\"]}"
v2sign "v2 not base64" 400 INVALID_REQUEST "{\"nik\":\"$NIK_OK\",\"passphrase\":\"$PHRASE\",\"file\":[\"%%%\"]}"
v2sign "v2 not JSON" 400 INVALID_REQUEST "{nik:"
v2sign "v2 broken PDF" 400 PDF_INVALID "{\"nik\":\"$NIK_OK\",\"passphrase\":\"$PHRASE\",\"file\":[\"$(base64 -w0 broken.pdf)\"]}"

# ---- v2 verify -------------------------------------------------------------
jq -n --arg f "$(base64 -w0 signed.pdf)" '{file: $f}' >vv.json
req "v2 verify" 200 vv-out.json "${AUTH[@]}" -H 'Content-Type: application/json' \
	--data-binary @vv.json "$BASE/api/v2/verify/pdf"
check_eq "v2 verify: conclusion" VALID "$(jf .conclusion vv-out.json)"
check_eq "v2 verify: signatureCount" 1 "$(jf .signatureCount vv-out.json)"
check_eq "v2 verify: integrityValid" true "$(jf '.signatureInformations[0].integrityValid' vv-out.json)"
check_eq "v2 verify: certificateTrusted" true "$(jf '.signatureInformations[0].certificateTrusted' vv-out.json)"
check_eq "v2 verify: lastSignature" true "$(jf '.signatureInformations[0].lastSignature' vv-out.json)"
check_eq "v2 verify: reason" "Dokumen telah disetujui" "$(jf '.signatureInformations[0].reason' vv-out.json)"
check_match "v2 verify: signatureDate" "$(jf '.signatureInformations[0].signatureDate' vv-out.json)" \
	'^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.000\+00:00$'
check_match "v2 verify: timestampInfomation.timestampDate (the vendor's spelling)" \
	"$(jf '.signatureInformations[0].timestampInfomation.timestampDate' vv-out.json)" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T'
check_match "v2 verify: signatureFormat" "$(jf '.signatureInformations[0].signatureFormat' vv-out.json)" \
	'^PAdES-BASELINE-(T|LT)$'
req "v2 verify again (the cache)" 200 vv-out2.json "${AUTH[@]}" -H 'Content-Type: application/json' \
	--data-binary @vv.json "$BASE/api/v2/verify/pdf"
check "v2 verify again: the same answer" cmp vv-out.json vv-out2.json
check_match "v2 verify: certificate commonName" "$(jf '.signatureInformations[0].certificateDetails[0].commonName' vv-out.json)" Pejabat
check_eq "v2 verify: the vendor's spelling signatureAlgoritm" true \
	"$(jf '.signatureInformations[0].certificateDetails[0] | has("signatureAlgoritm")' vv-out.json)"
check_match "v2 verify: keyUsages" "$(jf '.signatureInformations[0].certificateDetails[0].keyUsages | join(",")' vv-out.json)" digitalSignature
jq -n --arg f "$B64" '{file: $f}' >vv0.json
req "v2 verify unsigned" 200 vv0-out.json "${AUTH[@]}" -H 'Content-Type: application/json' \
	--data-binary @vv0.json "$BASE/api/v2/verify/pdf"
check_eq "v2 verify unsigned: conclusion" NO_SIGNATURE "$(jf .conclusion vv0-out.json)"
check_eq "v2 verify unsigned: signatureCount" 0 "$(jf .signatureCount vv0-out.json)"

# ---- password-protected PDFs: pdfPassword (sign), password (verify) --------
# (another client application, so that eoffice stays under its rate)
AUTH_EOFFICE=("${AUTH[@]}")
AUTH=(-u "kunci:$KUNCI")
qpdf --encrypt rahasia-user rahasia-owner 256 -- surat.pdf enc6.pdf
qpdf --encrypt rahasia-user rahasia-owner 128 --use-aes=y -- surat.pdf enc4.pdf
for e in enc6 enc4; do
	jq -n --arg nik $NIK_OK --arg p "$PHRASE" --arg f "$(base64 -w0 $e.pdf)" '{nik: $nik,
		passphrase: $p, signatureProperties: [{tampilan: "INVISIBLE", reason: "Rahasia",
		pdfPassword: "rahasia-user"}], file: [$f]}' >v2enc.json
	req "v2 sign a password-protected PDF ($e)" 200 v2enc-out.json "${AUTH[@]}" \
		-H 'Content-Type: application/json' --data-binary @v2enc.json "$BASE/api/v2/sign/pdf"
	jq -r '.file[0]' v2enc-out.json | base64 -d >$e-s.pdf
	check "v2 $e: qpdf --check with the password" qpdf --check --password=rahasia-user $e-s.pdf
	check_match "v2 $e: pdfsig -upw valid" "$(pdfsig -upw rahasia-user $e-s.pdf 2>&1 || true)" \
		'Signature Validation: Signature is Valid'
	check "v2 $e: still encrypted as the original" "$PY" -c '
import sys, pikepdf
a, b = pikepdf.open(sys.argv[1], password="rahasia-user"), pikepdf.open(sys.argv[2], password="rahasia-user")
assert (a.encryption.R, a.encryption.bits) == (b.encryption.R, b.encryption.bits)
assert b"Rahasia" not in open(sys.argv[1], "rb").read()' $e-s.pdf $e.pdf
	jq -n --arg f "$(base64 -w0 $e-s.pdf)" '{file: $f, password: "rahasia-user"}' >vve.json
	req "v2 verify the signed $e with its password" 200 vve-out.json "${AUTH[@]}" \
		-H 'Content-Type: application/json' --data-binary @vve.json "$BASE/api/v2/verify/pdf"
	check_eq "v2 verify $e: conclusion" VALID "$(jf .conclusion vve-out.json)"
	check_eq "v2 verify $e: reason decrypted" Rahasia "$(jf '.signatureInformations[0].reason' vve-out.json)"
	check_match "v2 verify $e: signatureFormat" \
		"$(jf '.signatureInformations[0].signatureFormat' vve-out.json)" '^PAdES-BASELINE-(T|LT)$'
done
jq -n --arg nik $NIK_OK --arg p "$PHRASE" --arg f "$(base64 -w0 enc6.pdf)" --arg img "$(base64 -w0 ttd.png)" \
	'{nik: $nik, passphrase: $p, signatureProperties: [{tampilan: "VISIBLE", imageBase64: $img,
	page: 1, originX: 10, originY: 10, width: 200, height: 100, pdfPassword: "rahasia-user"}],
	file: [$f]}' >v2encv.json
req "v2 visible in a password-protected PDF" 200 v2encv-out.json "${AUTH[@]}" \
	-H 'Content-Type: application/json' --data-binary @v2encv.json "$BASE/api/v2/sign/pdf"
jq -r '.file[0]' v2encv-out.json | base64 -d >enc6-v.pdf
check_match "v2 visible encrypted: pdfsig -upw valid" \
	"$(pdfsig -upw rahasia-user enc6-v.pdf 2>&1 || true)" 'Signature Validation: Signature is Valid'
E6=$(base64 -w0 enc6.pdf)
v2sign "v2 encrypted PDF, wrong pdfPassword" 400 PDF_PASSWORD_INVALID "{\"nik\":\"$NIK_OK\",
	\"passphrase\":\"$PHRASE\",\"signatureProperties\":[{\"pdfPassword\":\"salah\"}],\"file\":[\"$E6\"]}"
v2sign "v2 encrypted PDF, no pdfPassword" 400 PDF_PASSWORD_INVALID "{\"nik\":\"$NIK_OK\",
	\"passphrase\":\"$PHRASE\",\"file\":[\"$E6\"]}"
v2sign "v2 encrypted PDF, visible, wrong pdfPassword" 400 PDF_PASSWORD_INVALID "{\"nik\":\"$NIK_OK\",
	\"passphrase\":\"$PHRASE\",\"signatureProperties\":[{\"tampilan\":\"VISIBLE\",\"imageBase64\":
	\"$(base64 -w0 ttd.png)\",\"page\":1,\"originX\":10,\"originY\":10,\"width\":200,\"height\":100,
	\"pdfPassword\":\"salah\"}],\"file\":[\"$E6\"]}"
v2sign "v2 encrypted PDF, tag, wrong pdfPassword" 400 PDF_PASSWORD_INVALID "{\"nik\":\"$NIK_OK\",
	\"passphrase\":\"$PHRASE\",\"signatureProperties\":[{\"tampilan\":\"VISIBLE\",\"imageBase64\":
	\"$(base64 -w0 ttd.png)\",\"tag_koordinat\":\"#\",\"width\":200,\"height\":100,
	\"pdfPassword\":\"salah\"}],\"file\":[\"$E6\"]}"
for pw in '' salah; do
	jq -n --arg f "$(base64 -w0 enc6-s.pdf)" --arg pw "$pw" '{file: $f, password: $pw}' >vve.json
	req "v2 verify an encrypted PDF, password '$pw'" 400 e.json "${AUTH[@]}" \
		-H 'Content-Type: application/json' --data-binary @vve.json "$BASE/api/v2/verify/pdf"
	check_eq "v2 verify, password '$pw': code" PDF_PASSWORD_INVALID "$(jf .code e.json)"
done
req "v1 sign an encrypted PDF (v1 has no password field)" 400 e.json "${AUTH[@]}" -F file=@enc6.pdf \
	-F nik=$NIK_OK -F "passphrase=$PHRASE" -F tampilan=invisible "$BASE/api/sign/pdf"
check_eq "v1 encrypted: code" PDF_PASSWORD_INVALID "$(jf .code e.json)"
AUTH=("${AUTH_EOFFICE[@]}")

# ---- v2 check status -------------------------------------------------------
v2st() { # v2st NAME JSON WANT
	req "v2 status $1" 200 s.json "${AUTH[@]}" -H 'Content-Type: application/json' -d "$2" \
		"$BASE/api/v2/user/check/status"
	check_eq "v2 status $1: $3" "$3" "$(jf .status s.json)"
}
v2st "by NIK" "{\"nik\":\"$NIK_OK\"}" ISSUE
v2st "revoked" "{\"nik\":\"$NIK_REV\"}" REVOKE
v2st "renewing (an open renewal case)" "{\"nik\":\"$NIK_RENEW\"}" RENEW
v2st "by e-mail, no certificate" '{"email":"siti.aminah@kominfo.go.id"}' NO_CERTIFICATE
v2st "by unknown e-mail" '{"email":"tidak.ada@kominfo.go.id"}' NOT_REGISTERED
head -c 5000 /dev/zero | tr '\0' ' ' >pad.txt
req "v2 status: oversized body" 413 e.json "${AUTH[@]}" -H 'Content-Type: application/json' \
	--data-binary @pad.txt "$BASE/api/v2/user/check/status"

# ---- a seal this agency does not have ---------------------------------------
req "v2 seal pdf: an unknown seal" 404 e.json "${AUTH[@]}" -H 'Content-Type: application/json' \
	-d '{"idSubscriber":"x","totp":"123456","file":[]}' "$BASE/api/v2/seal/pdf"
check_eq "unknown seal: code" SEAL_NOT_FOUND "$(jf .code e.json)"

# ---- bad input never gets a 5xx ---------------------------------------------
no5xx() { # no5xx NAME curl-args...: a 4xx with the error shape
	local name=$1 got
	shift
	got=$(curl -sS -m 60 -o "$T/bad.json" -w '%{http_code}' "$@") || got=curl-failed
	check_match "bad input: $name: 4xx ($got)" "$got" '^4[0-9][0-9]$'
}
for h in "Basic" "Basic !!!!" "Basic $(printf 'nocolon' | base64)" "Basic $(printf ':' | base64)" \
	"Bearer $SECRET" "basic $(printf 'eoffice:%s' "$SECRET" | base64 -w0)x"; do
	no5xx "Authorization: ${h:0:12}" -H "Authorization: $h" "$BASE/api/user/status/$NIK_OK"
done
J=(-H 'Content-Type: application/json')
for body in '[]' '"x"' '{"nik":1,"passphrase":"x","file":["AA=="]}' \
	"{\"nik\":\"$NIK_OK\",\"passphrase\":\"x\",\"file\":123}" \
	"{\"nik\":\"$NIK_OK\",\"passphrase\":\"x\",\"file\":[]}" \
	"{\"nik\":\"$NIK_OK\",\"passphrase\":\"x\",\"file\":[1]}" \
	"{\"nik\":\"$NIK_OK\",\"passphrase\":\"x\",\"file\":[\"AA==\"],\"signatureProperties\":\"x\"}" \
	"{\"nik\":\"$NIK_OK\",\"passphrase\":\"x\",\"file\":[\"AA==\"],\"signatureProperties\":[1]}" \
	"{\"nik\":\"$NIK_OK\",\"passphrase\":\"x\",\"file\":[\"AA==\",\"AA==\",\"AA==\"],\"signatureProperties\":[{},{}]}" \
	"{\"nik\":\"$NIK_OK\",\"passphrase\":\"$PHRASE\",\"file\":[\"$(printf 'not a pdf' | base64)\"]}" \
	"{\"nik\":\"$NIK_OK\",\"passphrase\":\"$PHRASE\",\"file\":[\"$B64\"],\"signatureProperties\":[{\"tampilan\":\"VISIBLE\",\"page\":\"1\"}]}" \
	"{\"nik\":\"$NIK_OK\",\"passphrase\":\"$PHRASE\",\"file\":[\"$B64\"],\"signatureProperties\":[{\"tampilan\":\"VISIBLE\",\"page\":1,\"originX\":-1e308,\"originY\":0,\"width\":1e308,\"height\":5,\"imageBase64\":\"$(base64 -w0 ttd.png)\"}]}" \
	'{"nik":"3201015505900001","nik":"3201015505900002"}'; do
	no5xx "v2 sign ${body:0:40}" "${AUTH[@]}" "${J[@]}" -d "$body" "$BASE/api/v2/sign/pdf"
done
for body in '{}' '{"file":1}' '{"file":"!!"}' "{\"file\":\"$(printf 'not a pdf' | base64)\"}" \
	"{\"file\":\"$(base64 -w0 broken.pdf)\"}"; do
	no5xx "v2 verify ${body:0:30}" "${AUTH[@]}" "${J[@]}" -d "$body" "$BASE/api/v2/verify/pdf"
done
for body in '{}' '{"nik":"1"}' '{"email":5}' '{"nik":null,"email":null}'; do
	no5xx "v2 status $body" "${AUTH[@]}" "${J[@]}" -d "$body" "$BASE/api/v2/user/check/status"
done
no5xx "v1 multipart without a boundary" "${AUTH[@]}" -H 'Content-Type: multipart/form-data' \
	--data-binary 'x' "$BASE/api/sign/pdf"
no5xx "v1 multipart cut short" "${AUTH[@]}" -H 'Content-Type: multipart/form-data; boundary=zz' \
	--data-binary $'--zz\r\nContent-Disposition: form-data; name="nik"\r\n\r\n3201' "$BASE/api/sign/pdf"
no5xx "v1 an empty file" "${AUTH[@]}" -F file=@/dev/null -F nik=$NIK_OK -F "passphrase=$PHRASE" "$BASE/api/sign/pdf"
no5xx "v1 verify a text file" "${AUTH[@]}" -F signed_file=@"$D/openams.conf" "$BASE/api/sign/verify"
no5xx "v1 xAxis not a number" "${AUTH[@]}" -F file=@surat.pdf -F nik=$NIK_OK -F "passphrase=$PHRASE" \
	-F tampilan=visible -F linkQR=x -F page=1 -F xAxis=nan -F yAxis=1 -F width=9 -F height=9 "$BASE/api/sign/pdf"
no5xx "v1 page 0" "${AUTH[@]}" -F file=@surat.pdf -F nik=$NIK_OK -F "passphrase=$PHRASE" \
	-F tampilan=visible -F linkQR=x -F page=0 -F xAxis=1 -F yAxis=1 -F width=9 -F height=9 "$BASE/api/sign/pdf"
no5xx "download a long id" "${AUTH[@]}" "$BASE/api/sign/download/$(printf 'a%.0s' $(seq 300))"
check_eq "the server is still up" 200 "$(curl -sS -o /dev/null -w '%{http_code}' "$BASE/healthz")"

# ---- audit: every signature names the client; no secret in the log ---------
check "server stops" stop_server
DB=$(ls "$D"/*.db "$D"/*.sqlite 2>/dev/null | head -n 1 || true)
if [ -n "$DB" ]; then
	N=$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'keys.sign' AND detail LIKE '%client=eoffice%'")
	check_eq "audit: keys.sign with client=eoffice (5 v1 + 6 v2)" 11 "$N"
	H=$(printf '%s' "$SECRET" | sha256sum | cut -d' ' -f1 | tr a-f A-F)
	check_eq "the database keeps the secret's SHA-256" 1 \
		"$(sqlite3 "$DB" "SELECT count(*) FROM auth_client WHERE username = 'eoffice' AND hex(hash) = '$H'")"
	check_eq "the database never holds a secret" 0 "$(grep -c -a -F -e "$SECRET" -e "$MADE" "$DB" || true)"
	check_eq "the API's changes name the administrator (create, disable, enable, revoke)" 4 \
		"$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE actor = 'admin.demo' AND object = 'client:api-made'")"
	check_match "audit: client changes" "$(sqlite3 "$DB" "SELECT group_concat(action) FROM audit WHERE action LIKE 'client.%'")" \
		'client.create.*client.revoke.*client.disable.*client.enable.*client.revoke'
fi
check_nomatch "the log holds no secret or passphrase" "$(cat "$T/serve.log")" "$SECRET|$PHRASE|oas_"
check "audit chain" "$OPENAMS" audit verify --dir "$D"
finish
