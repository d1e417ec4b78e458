#!/bin/bash
# sign.sh KEYTYPE - `openams sign pdf` (PAdES B-B, invisible), checked by
# tools openams did not write: poppler's pdfsig (with and without the CA in
# an NSS database), qpdf --check, openssl cms -verify over the byte ranges
# and openssl's CMS printer for the signed attributes.  The holder's
# certificate comes from the instance's own CA.  KEYTYPE: ec-p256, ec-p384,
# rsa-2048 (the holder's key; the CA is ECDSA P-256 or RSA 2048).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TEST_TAG=sign
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$HERE/../lib/common.sh"

KT=${1:-ec-p256}
case $KT in
ec-p256) CAKT=ec-p256; GEN=(-algorithm EC -pkeyopt ec_paramgen_curve:P-256) ;;
ec-p384) CAKT=ec-p256; GEN=(-algorithm EC -pkeyopt ec_paramgen_curve:P-384) ;;
rsa-2048) CAKT=rsa-2048; GEN=(-algorithm RSA -pkeyopt rsa_keygen_bits:2048) ;;
*) echo "sign.sh: unknown key type $KT" >&2; exit 2 ;;
esac

# The certificates name a responder on this port; the OCSP part at the end
# serves it.
PORT=$(free_port)
cat >"$T/init.conf" <<CONF
ca.ocsp_url = http://127.0.0.1:$PORT/ocsp
ca.crl_url = http://127.0.0.1:$PORT/pki/issuing.crl
ca.issuers_url = http://127.0.0.1:$PORT/pki/issuing.crt
CONF
D=$T/data
new_instance "$D" --key-type "$CAKT" --config "$T/init.conf"
cd "$T"

# ---- a holder's certificate from the instance's CA, and a PDF --------------
holder() { # holder NAME NIK EMAIL CN
	openssl genpkey "${GEN[@]}" -out "$1.key" 2>/dev/null
	openssl req -new -key "$1.key" -subj "/C=ID/O=Dinas Kominfo/CN=$4" -utf8 -out "$1.csr"
	"$OPENAMS" ca issue --dir "$D" --csr "$1.csr" --nik "$2" --email "$3" --out "$1.pem" >/dev/null
}
holder budi 3201010101800001 budi.santoso@kominfo.go.id "Budi Santoso"
holder siti 3201010101800002 siti@kominfo.go.id "Siti Aminah"
"$OPENAMS" ca chain --dir "$D" >chain.pem
"$OPENAMS" ca chain --dir "$D" --root >root.pem
"$PY" "$HERE/mkpdf.py" in.pdf 2
check "the test PDF passes qpdf --check" qpdf --check in.pdf

sign() { "$OPENAMS" sign pdf --key budi.key --cert budi.pem --chain chain.pem "$@"; }

# ---- sign ----------------------------------------------------------------
check "sign pdf ($KT)" sign --in in.pdf --out s1.pdf --reason "Persetujuan Surat Keputusan" \
	--location "Selatpanjang, Riau"
check "the original bytes are an exact prefix of the output" \
	cmp -n "$(stat -c %s in.pdf)" in.pdf s1.pdf
check "qpdf --check passes" qpdf --check s1.pdf

out=$(pdfsig s1.pdf 2>&1 || true)
check_match "pdfsig: the signature is valid" "$out" "Signature Validation: Signature is Valid"
check_match "pdfsig: total document signed" "$out" "Total document signed"
check_match "pdfsig: ETSI.CAdES.detached" "$out" "Signature Type: ETSI.CAdES.detached"
check_match "pdfsig: the signer is the holder" "$out" "Common Name: Budi Santoso"
check_match "pdfsig: SHA-256" "$out" "Signing Hash Algorithm: SHA-256"

# -no-ocsp until the end: the certificates point at this instance's OCSP
# responder, not served yet (pdfsig then says "Unknown issue").
mkdir nss
certutil -N -d "sql:$T/nss" --empty-password
certutil -A -d "sql:$T/nss" -n root -t CT,C,C -i root.pem
out=$(pdfsig -no-ocsp -nssdir "sql:$T/nss" s1.pdf 2>&1 || true)
check_match "pdfsig with the CA in its NSS database: certificate trusted" "$out" \
	"Certificate Validation: Certificate is Trusted"

check "pikepdf: one invisible PAdES signature field on page 1, /SigFlags 3" \
	"$PY" "$HERE/structure.py" s1.pdf 1 in.pdf

"$PY" "$HERE/byterange.py" s1.pdf 1 c1.bin s1.der >br1.txt
read -r a b c d total <br1.txt
check_eq "/ByteRange starts at 0 and ends at the end of the file" "$a $((c + d))" "0 $total"
check "openssl cms -verify over the byte ranges, up to the root" \
	openssl cms -verify -binary -inform DER -in s1.der -content c1.bin -CAfile root.pem -out /dev/null
attrs=$(openssl cms -cmsout -print -inform DER -in s1.der |
	sed -n '/signedAttrs:/,/signatureAlgorithm:/p' | grep -E '^ +object: ' || true)
check_match "signed attributes: content-type" "$attrs" "object: contentType"
check_match "signed attributes: message-digest" "$attrs" "object: messageDigest"
check_match "signed attributes: signing-certificate-v2" "$attrs" \
	"object: (id-smime-aa-signingCertificateV2|signingCertificateV2)"
certhash=$(openssl x509 -in budi.pem -outform DER | sha256sum | cut -c1-64)
check_match "signing-certificate-v2 holds the SHA-256 of the signer's certificate" \
	"$(od -An -v -tx1 s1.der | tr -d ' \n')" "0420$certhash"
check_nomatch "signed attributes: no signing-time (PAdES puts it in /M)" "$attrs" "signingTime"
check_eq "signed attributes: exactly three" "$(grep -c . <<<"$attrs")" 3
check_match "/M is a PDF date" "$(grep -a -o '/M (D:[0-9]*+00.00.)' s1.pdf)" "^/M \(D:[0-9]{14}\+00'00'\)$"

check_eq "the CMS carries the signer's certificate and the chain" \
	"$(openssl pkcs7 -inform DER -in s1.der -print_certs | grep -c '^subject=')" 3
cat budi.pem chain.pem >full.pem
check "sign with the chain after the certificate in --cert, no --chain" "$OPENAMS" sign pdf \
	--in in.pdf --out full-s.pdf --key budi.key --cert full.pem
"$PY" "$HERE/byterange.py" full-s.pdf 1 cf.bin sf.der >/dev/null
check_eq "the CMS carries each certificate once" \
	"$(openssl pkcs7 -inform DER -in sf.der -print_certs | grep -c '^subject=')" 3
check "openssl cms -verify (chain from --cert)" openssl cms -verify -binary -inform DER \
	-in sf.der -content cf.bin -CAfile root.pem -out /dev/null

# ---- a one-byte change inside either byte range breaks it -----------------
flip() { # flip IN OUT OFFSET: one byte changed
	"$PY" -c 'import sys
b = bytearray(open(sys.argv[1], "rb").read()); i = int(sys.argv[3])
b[i] = ord("u") if b[i] != ord("u") else ord("v"); open(sys.argv[2], "wb").write(b)' "$@"
}
off=$(grep -a -b -o 'Keputusan' s1.pdf | head -n 1 | cut -d: -f1)
flip s1.pdf t1.pdf "$((off + 7))"
off=$(grep -a -b -o 'Persetujuan' s1.pdf | head -n 1 | cut -d: -f1)
flip s1.pdf t2.pdf "$((off + 3))"
for t in t1 t2; do
	out=$(pdfsig "$t.pdf" 2>&1 || true)
	check_nomatch "pdfsig: a byte changed ($t) is not valid" "$out" "Signature is Valid"
	"$PY" "$HERE/byterange.py" "$t.pdf" 1 "$t.bin" "$t.der" >/dev/null
	check_not "openssl cms -verify: a byte changed ($t) fails" openssl cms -verify -binary \
		-inform DER -in "$t.der" -content "$t.bin" -CAfile root.pem -out /dev/null
done

# ---- a second signature keeps the first valid -----------------------------
check "a second signature (another holder)" "$OPENAMS" sign pdf --in s1.pdf --out s2.pdf \
	--key siti.key --cert siti.pem --chain chain.pem --reason "Mengetahui"
check "the signed file is an exact prefix of the twice-signed one" \
	cmp -n "$(stat -c %s s1.pdf)" s1.pdf s2.pdf
check "qpdf --check passes with two signatures" qpdf --check s2.pdf
out=$(pdfsig -no-ocsp -nssdir "sql:$T/nss" s2.pdf 2>&1 || true)
check_eq "pdfsig: two signatures, both valid" "$(grep -c 'Signature is Valid' <<<"$out")" 2
check_eq "pdfsig: both certificates trusted" "$(grep -c 'Certificate is Trusted' <<<"$out")" 2
check_match "pdfsig: the second covers the total document" "$(sed -n '/Signature #2/,$p' <<<"$out")" \
	"Total document signed"
check_match "pdfsig: the second signer" "$out" "Common Name: Siti Aminah"
check "pikepdf: two signature fields, the first kept" "$PY" "$HERE/structure.py" s2.pdf 2 s1.pdf
"$PY" "$HERE/byterange.py" s2.pdf 2 c2.bin s2.der >/dev/null
check "openssl cms -verify: the second signature" openssl cms -verify -binary -inform DER \
	-in s2.der -content c2.bin -CAfile root.pem -out /dev/null

# ---- openams sign verify: its own verifier agrees with the tools above ------
verify() { "$OPENAMS" sign verify "$@"; }
check "sign verify: the twice-signed document (exit 0)" verify --dir "$D" --in s2.pdf
out=$(verify --dir "$D" --in s2.pdf)
check_match "sign verify: two signatures" "$out" "^signatures: 2$"
check_eq "sign verify: both intact" "$(grep -c '^  intact: yes$' <<<"$out")" 2
check_eq "sign verify: both trusted to the instance's root" "$(grep -c '^  trusted: yes$' <<<"$out")" 2
check_eq "sign verify: both certificates good (issued here)" "$(grep -c '^  revocation: good$' <<<"$out")" 2
check_match "sign verify: only a later signature after the first" "$out" "after it: only later signatures"
check_match "sign verify: the second covers the whole document" \
	"$(sed -n '/^signature 2:/,$p' <<<"$out")" "covers the whole document: yes"
check_match "sign verify: the reason, in UTF-8" "$out" "reason: Persetujuan Surat Keputusan"
check_match "sign verify: the document's SHA-256" "$out" "^document sha256: $(sha256sum s2.pdf | cut -c1-64)$"
check_match "sign verify: the signer's serial" "$out" "serial: $(serial_of budi.pem)$"
check "sign verify --trust root.pem, no instance" verify --trust root.pem --in s2.pdf
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key \
	-subj "/CN=Another Root" -days 30 -out other.pem 2>/dev/null
check_not "sign verify --trust another root: exit 1" verify --trust other.pem --in s2.pdf
check_match "sign verify --trust another root: not trusted, still intact" \
	"$(verify --trust other.pem --in s2.pdf || true)" "intact: yes"
for t in t1 t2; do
	check_not "sign verify: a byte changed ($t): exit 1" verify --dir "$D" --in "$t.pdf"
	check_match "sign verify: a byte changed ($t): not intact" \
		"$(verify --dir "$D" --in "$t.pdf" || true)" "intact: no: the document's bytes do not match"
done
cp s1.pdf s1-app.pdf && printf '%% appended\n1 0 obj\n<< >>\nendobj\n' >>s1-app.pdf
check_not "sign verify: bytes appended after the signature: exit 1" verify --dir "$D" --in s1-app.pdf
check_match "sign verify: bytes appended after the signature are reported" \
	"$(verify --dir "$D" --in s1-app.pdf || true)" "after it: changes other than signatures"
check_not "sign verify: an unsigned PDF: exit 1" verify --dir "$D" --in in.pdf
check_match "sign verify: an unsigned PDF has no signature" \
	"$(verify --dir "$D" --in in.pdf || true)" "^signatures: 0$"
printf 'not a PDF at all\n' >junk.pdf
rc=0; verify --dir "$D" --in junk.pdf 2>v.err >/dev/null || rc=$?
check_eq "sign verify: not a PDF: exit 1" "$rc" 1
check_match "sign verify: not a PDF: invalid_input" "$(cat v.err)" "^openams: invalid_input: broken PDF"

# ---- an original with a cross-reference stream ----------------------------
qpdf --object-streams=generate in.pdf xs.pdf
check "sign a PDF whose cross-reference is a stream" sign --in xs.pdf --out xs-s.pdf
check "qpdf --check passes (xref stream update)" qpdf --check xs-s.pdf
check_match "the update's cross-reference is a stream too" \
	"$(tail -c +"$(($(stat -c %s xs.pdf) + 1))" xs-s.pdf | grep -a -c '/Type /XRef')" "^1$"
out=$(pdfsig -no-ocsp -nssdir "sql:$T/nss" xs-s.pdf 2>&1 || true)
check_match "pdfsig: valid and trusted (xref stream)" "$out" "Certificate is Trusted"
check_match "pdfsig: total document signed (xref stream)" "$out" "Total document signed"

# ---- a linearized original, and one with a form field and annotations ------
qpdf --linearize in.pdf lin.pdf
check "sign a linearized PDF" sign --in lin.pdf --out lin-s.pdf
check "qpdf --check passes (linearized original)" qpdf --check lin-s.pdf
out=$(pdfsig -no-ocsp -nssdir "sql:$T/nss" lin-s.pdf 2>&1 || true)
check_match "pdfsig: trusted, total document signed (linearized original)" \
	"$(grep -E 'Trusted|Total' <<<"$out" | tr '\n' ' ')" "Total document signed.*Trusted"
"$PY" "$HERE/mkpdf.py" form.pdf 1 --form
check "sign a PDF with an indirect /AcroForm, a text field and a link annotation" \
	sign --in form.pdf --out form-s.pdf
check "qpdf --check passes (form)" qpdf --check form-s.pdf
check "pikepdf: the text field and the link are kept" "$PY" "$HERE/structure.py" form-s.pdf 1 form.pdf
out=$(pdfsig -no-ocsp -nssdir "sql:$T/nss" form-s.pdf 2>&1 || true)
check_match "pdfsig: valid (form)" "$out" "Signature is Valid"

# ---- originals written by other tools ------------------------------------
pdftocairo -pdf in.pdf cairo.pdf
pdfunite in.pdf form.pdf unite.pdf
qpdf --qdf in.pdf qdf.pdf
"$PY" "$HERE/mkpdf.py" many.pdf 300
# poppler 22.12's pdfunite writes a trailer /Size below its highest object
# number (qpdf --check warns): the new objects would collide, so it is refused.
if qpdf --check unite.pdf >/dev/null 2>&1; then
	others="cairo unite qdf many"
else
	others="cairo qdf many"
	refused_unite=1
fi
for f in $others; do
	check "sign the $f original" sign --in "$f.pdf" --out "$f-s.pdf"
	check "qpdf --check passes ($f)" qpdf --check "$f-s.pdf"
	check "pikepdf: structure ($f)" "$PY" "$HERE/structure.py" "$f-s.pdf" 1 "$f.pdf"
	out=$(pdfsig -no-ocsp -nssdir "sql:$T/nss" "$f-s.pdf" 2>&1 || true)
	check_match "pdfsig: valid, total document signed, trusted ($f)" \
		"$(grep -E 'Total|Valid|Trusted' <<<"$out" | tr '\n' ' ')" \
		"Total document signed.*Signature is Valid.*Certificate is Trusted"
	check "sign verify: intact and trusted ($f)" "$OPENAMS" sign verify --dir "$D" --in "$f-s.pdf"
done

# ---- a visible signature: QR code, specimen image, text, on page 2 ---------
"$PY" "$HERE/mkpdf.py" two.pdf 2
"$PY" - <<'PNG'
import struct, zlib
def png(w, h, rgba, path):
    raw = b"".join(b"\x00" + bytes(rgba) * w for _ in range(h))
    def ch(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + ch(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
        + ch(b"IDAT", zlib.compress(raw)) + ch(b"IEND", b""))
png(60, 30, [20, 40, 160, 200], "spec.png")
PNG
pdftoppm -jpeg -r 10 -f 1 -l 1 in.pdf specjpg && mv specjpg-1.jpg spec.jpg
vis() { sign --in two.pdf --out "$1" --visible "$2" --qr "https://openams.example/v/abc123" \
	--line "Ditandatangani secara elektronik oleh" --line "Budi Santoso" --line "Kepala Dinas" "${@:3}"; }
check "sign a visible signature with a PNG specimen (alpha) on page 2" vis vis-png.pdf 2,300,80,250,80 \
	--image spec.png
check "sign a visible signature with a JPEG specimen on page 1" vis vis-jpg.pdf 1,72,600,200,60 \
	--image spec.jpg
check "sign a visible signature with a QR code and text only" vis vis-qr.pdf 2,50,50,180,60
for f in vis-png vis-jpg vis-qr; do
	check "qpdf --check passes ($f)" qpdf --check "$f.pdf"
	check_eq "qpdf: no warnings ($f)" "$(qpdf --check "$f.pdf" 2>&1 | grep -ci warning || true)" 0
	out=$(pdfsig -no-ocsp -nssdir "sql:$T/nss" "$f.pdf" 2>&1 || true)
	check_match "pdfsig: valid, total document signed, trusted ($f)" \
		"$(grep -E 'Total|Valid|Trusted' <<<"$out" | tr '\n' ' ')" \
		"Total document signed.*Signature is Valid.*Certificate is Trusted"
done
pdftoppm -gray -r 50 -f 2 -l 2 two.pdf before && pdftoppm -gray -r 50 -f 2 -l 2 vis-png.pdf after
check "pikepdf and poppler: the widget, its appearance, drawn in its box only (PNG, page 2)" \
	"$PY" "$HERE/visual.py" vis-png.pdf 2 300 80 250 80 before-2.pgm after-2.pgm 50
pdftoppm -gray -r 50 -f 1 -l 1 two.pdf before && pdftoppm -gray -r 50 -f 1 -l 1 vis-jpg.pdf after
check "pikepdf and poppler: drawn in its box only (JPEG, page 1)" \
	"$PY" "$HERE/visual.py" vis-jpg.pdf 1 72 600 200 60 before-1.pgm after-1.pgm 50
check "a second, invisible signature after a visible one keeps it valid" sign --in vis-png.pdf \
	--out vis-2.pdf
check_eq "pdfsig: both valid" "$(pdfsig vis-2.pdf 2>&1 | grep -c 'Signature is Valid')" 2
check "sign verify: the visible signature" "$OPENAMS" sign verify --dir "$D" --in vis-2.pdf

# ---- pages with /Rotate: the box where the page is seen, drawn upright -----
# The same box (150, 300) 240 x 80 as the page is seen, on pages turned by
# /Rotate (on the page, or inherited from the page tree): rendered by poppler
# at 72 dpi (one pixel a point), the pixels change in that box only and match
# the unrotated page's, not those turned by 180 degrees.
for r in 0 90 180 270 tree90; do
	case $r in
	tree90) "$PY" "$HERE/mkpdf.py" rot$r.pdf 1 --rotate-tree 90; vh=595 ;;
	90 | 270) "$PY" "$HERE/mkpdf.py" rot$r.pdf 1 --rotate "$r"; vh=595 ;;
	*) "$PY" "$HERE/mkpdf.py" rot$r.pdf 1 --rotate "$r"; vh=842 ;;
	esac
	check "sign a visible signature on a page with /Rotate $r" sign --in rot$r.pdf \
		--out rot$r-s.pdf --visible 1,150,300,240,80 --qr "https://openams.example/v/r" \
		--line "Budi Santoso" --line "Kepala Dinas"
	check "qpdf --check passes (/Rotate $r)" qpdf --check rot$r-s.pdf
	out=$(pdfsig -no-ocsp -nssdir "sql:$T/nss" rot$r-s.pdf 2>&1 || true)
	check_match "pdfsig: valid, total document signed, trusted (/Rotate $r)" \
		"$(grep -E 'Total|Valid|Trusted' <<<"$out" | tr '\n' ' ')" \
		"Total document signed.*Signature is Valid.*Certificate is Trusted"
	pdftoppm -gray -r 72 rot$r.pdf rotb$r && pdftoppm -gray -r 72 rot$r-s.pdf rota$r
	check "poppler: in the box as the page is seen, upright (/Rotate $r)" \
		"$PY" "$HERE/rotate.py" 150 300 240 80 "$vh" rotb$r-1.pgm rota$r-1.pgm rota0-1.pgm 842
done
# a tag on a turned page: the box centred where pdftotext -bbox sees the tag
# (its coordinates are the page as seen, y from the top)
for r in 90 270; do
	"$PY" "$HERE/mkpdf.py" tagr$r.pdf 1 --tag '300,200,$' --rotate "$r"
	check "sign at the tag on a page with /Rotate $r" sign --in tagr$r.pdf --out tagr$r-s.pdf \
		--tag '$' --size 120,60 --qr x
	pdftoppm -gray -r 72 tagr$r.pdf tagrb$r && pdftoppm -gray -r 72 tagr$r-s.pdf tagra$r
	check "poppler: the QR code drawn in the box centred on the tag (/Rotate $r)" "$PY" -c '
import re, sys
m = re.search(r"xMin=\"([0-9.]+)\" yMin=\"([0-9.]+)\" xMax=\"([0-9.]+)\" yMax=\"([0-9.]+)\">\$<",
              open(sys.argv[1]).read())
x0, y0, x1, y1 = map(float, m.groups())
bx, by = (x0 + x1) / 2 - 60, (y0 + y1) / 2 - 30   # the box, y from the top
def pgm(p):
    d = open(p, "rb").read().split(maxsplit=4)
    return int(d[1]), int(d[2]), d[4]
w, h, b = pgm(sys.argv[2])
_, _, a = pgm(sys.argv[3])
ch = [(i % w, i // w) for i in range(w * h) if a[i] != b[i]]
assert ch, "nothing drawn"
xs, ys = [c[0] for c in ch], [c[1] for c in ch]
assert bx - 2 <= min(xs) and max(xs) <= bx + 120 + 2, (min(xs), max(xs), bx)
assert by - 2 <= min(ys) and max(ys) <= by + 60 + 2, (min(ys), max(ys), by)
# the QR code, a 60-point square, on the left of the box: upright
assert max(xs) < bx + 64 and max(xs) - min(xs) > 45 and max(ys) - min(ys) > 45, (xs, ys)
print("ok: drawn in", min(xs), min(ys), max(xs), max(ys), "box at", bx, by)' \
		<(pdftotext -bbox tagr$r.pdf -) tagrb$r-1.pgm tagra$r-1.pgm
done

# ---- a visible signature placed at a tag in the text (tag_koordinat) -------
"$PY" "$HERE/mkpdf.py" tag.pdf 3 --tag '300,200,$'
# where poppler's pdftotext sees the tag (page 3, y from the top of 842 points):
# the box is centred on it
read -r tx ty <<<"$(pdftotext -f 3 -l 3 -bbox tag.pdf - | "$PY" -c '
import re, sys
for m in re.finditer(r"<word xMin=\"([0-9.]+)\" yMin=\"([0-9.]+)\" xMax=\"([0-9.]+)\" yMax=\"([0-9.]+)\">\$</word>", sys.stdin.read()):
    x0, y0, x1, y1 = map(float, m.groups())
    print("%.3f %.3f" % ((x0 + x1) / 2 - 60, 842 - (y0 + y1) / 2 - 30)); break')"
check "sign a visible signature at the tag \$ (page 3 of 3)" sign --in tag.pdf --out tag-s.pdf \
	--tag '$' --size 120,60 --qr "https://openams.example/v/t" --line "Budi Santoso"
pdftoppm -gray -r 50 -f 3 -l 3 tag.pdf before && pdftoppm -gray -r 50 -f 3 -l 3 tag-s.pdf after
check "pikepdf and poppler: the widget centred on the tag, drawn there only" \
	"$PY" "$HERE/visual.py" tag-s.pdf 3 "$tx" "$ty" 120 60 before-3.pgm after-3.pgm 50
out=$(pdfsig -no-ocsp -nssdir "sql:$T/nss" tag-s.pdf 2>&1 || true)
check_match "pdfsig: the tag-placed signature valid and trusted" \
	"$(grep -E 'Total|Valid|Trusted' <<<"$out" | tr '\n' ' ')" \
	"Total document signed.*Signature is Valid.*Certificate is Trusted"
# a page whose /CropBox and /MediaBox do not start at 0 0: still user space
"$PY" "$HERE/mkpdf.py" tagc.pdf 1 --tag '300,200,$' --crop 50,60,545,792
check "sign at the tag on a page with an offset crop box" sign --in tagc.pdf --out tagc-s.pdf \
	--tag '$' --size 120,60 --qr x
check "pikepdf: the same box in user space as on the uncropped page" "$PY" -c '
import sys, pikepdf
pdf = pikepdf.open(sys.argv[1])
w = [a for a in pdf.pages[0].get("/Annots", []) if a.get("/FT") == "/Sig"]
r = [float(v) for v in w[0].Rect]
want = [float(sys.argv[2]), float(sys.argv[3])]
assert abs(r[0] - want[0]) < 0.01 and abs(r[1] - want[1]) < 0.01, (r, want)' tagc-s.pdf "$tx" "$ty"
# a tag near the page's corner: the box moved inside the page
"$PY" "$HERE/mkpdf.py" tagedge.pdf 1 --tag '580,45,#'
check "a tag at the edge: signed" sign --in tagedge.pdf --out tagedge-s.pdf --tag '#' --size 150,80 \
	--qr x
check "pikepdf: the box kept inside the page" "$PY" -c '
import sys, pikepdf
pdf = pikepdf.open(sys.argv[1])
w = [a for a in pdf.pages[0].get("/Annots", []) if a.get("/FT") == "/Sig"]
r = [float(v) for v in w[0].Rect]
assert abs(r[2] - 595) < 0.01 and r[0] > 400 and r[1] >= 0 and r[3] <= 842, r' tagedge-s.pdf

# ---- refusals: nothing written --------------------------------------------
refused() { # refused DESC CODE REGEX IN [sign options...]
	local desc=$1 code=$2 re=$3 in=$4 rc=0
	shift 4
	rm -f r.pdf
	sign --in "$in" --out r.pdf "$@" 2>r.err || rc=$?
	if [ "$rc" -ne 1 ]; then
		nok "$desc: exit $rc, want 1"; sed 's/^/#   /' r.err
	elif ! grep -Eq "^openams: $code: .*$re" r.err; then
		nok "$desc: message"; sed 's/^/#   /' r.err
	elif [ "$(wc -l <r.err)" -ne 1 ]; then
		nok "$desc: more than the one error line on stderr"; sed 's/^/#   /' r.err
	elif [ -e r.pdf ]; then
		nok "$desc: refused, but r.pdf was written"
	else
		ok "$desc ($(head -c 150 r.err))"
	fi
}

# ---- password-protected PDFs: signed, the update encrypted as the original --
# qpdf encrypts the test PDF (a text field, a link, /DA in the /AcroForm) with
# a user and an owner password: R3 RC4-128, R4 AES-128, R6 AES-256; then
# R6 with an owner password only (opens without one).
"$PY" "$HERE/mkpdf.py" form.pdf 2 --form
printf 'rahasia-user\n' >user.pw
printf 'rahasia-owner\n' >owner.pw
qpdf --allow-weak-crypto --encrypt rahasia-user rahasia-owner 128 --use-aes=n -- form.pdf enc-rc4.pdf
qpdf --encrypt rahasia-user rahasia-owner 128 --use-aes=y -- form.pdf enc-r4.pdf
qpdf --encrypt rahasia-user rahasia-owner 256 -- form.pdf enc-r6.pdf
qpdf --encrypt "" rahasia-owner 256 -- form.pdf enc-own.pdf
for e in rc4 r4 r6 own; do
	pwopt=(--pdf-password-file user.pw); upw=(-upw rahasia-user); qpw=--password=rahasia-user
	pypw=rahasia-user
	[ $e = own ] && { pwopt=(); upw=(); qpw=; pypw=; }
	check "sign a password-protected PDF ($e)" sign --in enc-$e.pdf --out enc-$e-s.pdf \
		--reason "Disetujui $e" --location "Jakarta" "${pwopt[@]}"
	check "the original is an exact prefix ($e)" cmp -n "$(stat -c %s enc-$e.pdf)" enc-$e.pdf \
		enc-$e-s.pdf
	check "qpdf --check with the password passes ($e)" qpdf --check $qpw enc-$e-s.pdf
	check_eq "qpdf: no warnings ($e)" "$(qpdf --check $qpw enc-$e-s.pdf 2>&1 | grep -ci warning || true)" 0
	out=$(pdfsig "${upw[@]}" -no-ocsp -nssdir "sql:$T/nss" enc-$e-s.pdf 2>&1 || true)
	check_match "pdfsig ${upw[*]}: valid, total document signed, trusted ($e)" \
		"$(grep -E 'Total|Valid|Trusted' <<<"$out" | tr '\n' ' ')" \
		"Total document signed.*Signature is Valid.*Certificate is Trusted"
	"$PY" "$HERE/byterange.py" enc-$e-s.pdf 1 enc-$e.bin enc-$e.der >/dev/null
	check "openssl cms -verify over the byte ranges ($e: /Contents not encrypted)" \
		openssl cms -verify -binary -inform DER -in enc-$e.der -content enc-$e.bin \
		-CAfile root.pem -out /dev/null
	check "pikepdf: encrypted as the original, strings decrypt, none in clear ($e)" \
		"$PY" "$HERE/encrypted.py" enc-$e-s.pdf "$pypw" enc-$e.pdf "Disetujui $e"
	check "sign verify with the password ($e)" "$OPENAMS" sign verify --dir "$D" \
		--in enc-$e-s.pdf "${pwopt[@]}"
done
rc=0; "$OPENAMS" sign verify --dir "$D" --in enc-r6-s.pdf >/dev/null 2>v.err || rc=$?
check_eq "sign verify without the password: refused" "$rc:$(grep -c 'PDF password' v.err)" "1:1"
check "sign with the owner password (R4)" sign --in enc-r4.pdf --out enc-r4-o.pdf \
	--pdf-password-file owner.pw
check_match "pdfsig -opw: valid" "$(pdfsig -opw rahasia-owner enc-r4-o.pdf 2>&1 || true)" \
	"Signature is Valid"
# a visible signature (its appearance and image streams encrypted), then a
# second signature by another holder: the first stays valid
check "sign a visible signature with a PNG specimen in an AES-256 PDF" sign --in enc-r6.pdf \
	--out enc-vis.pdf --pdf-password-file user.pw --visible 2,300,80,250,80 --image spec.png \
	--qr "https://openams.example/v/enc" --line "Budi Santoso" --reason "Disetujui vis"
pdftoppm -upw rahasia-user -gray -r 50 -f 2 -l 2 enc-r6.pdf encb &&
	pdftoppm -upw rahasia-user -gray -r 50 -f 2 -l 2 enc-vis.pdf enca
check "poppler -upw: the encrypted appearance drawn in its box only" \
	"$PY" "$HERE/visual.py" enc-vis.pdf 2 300 80 250 80 encb-2.pgm enca-2.pgm 50 rahasia-user
check "a second signature on the signed encrypted PDF" "$OPENAMS" sign pdf --in enc-vis.pdf \
	--out enc-vis2.pdf --key siti.key --cert siti.pem --chain chain.pem --reason "Mengetahui" \
	--pdf-password-file user.pw
check_eq "pdfsig -upw: both signatures valid" \
	"$(pdfsig -upw rahasia-user enc-vis2.pdf 2>&1 | grep -c 'Signature is Valid')" 2
check "qpdf --check with two signatures" qpdf --check --password=rahasia-user enc-vis2.pdf
# permissions: form filling not allowed, owner password only
qpdf --encrypt "" rahasia-owner 256 --form=n --modify-other=n --annotate=n -- form.pdf enc-nofill.pdf
refused "an encrypted PDF whose permissions forbid filling in forms" policy "do not allow" \
	enc-nofill.pdf
check "... signed with the owner password" sign --in enc-nofill.pdf --out enc-nofill-s.pdf \
	--pdf-password-file owner.pw
check_match "pdfsig: valid" "$(pdfsig enc-nofill-s.pdf 2>&1 || true)" "Signature is Valid"

printf 'not a PDF at all\n' >junk.pdf
refused "not a PDF" invalid_input "broken PDF" junk.pdf
head -c 700 in.pdf >trunc.pdf
refused "a truncated PDF" invalid_input "broken PDF" trunc.pdf
"$PY" -c 'import sys
b = open(sys.argv[1], "rb").read(); i = b.rindex(b"startxref")
open(sys.argv[2], "wb").write(b[:i] + b"startxref\n99\n%%EOF\n")' in.pdf badxref.pdf
refused "a PDF whose startxref points nowhere" invalid_input "broken PDF" badxref.pdf
"$PY" -c 'import sys
b = open(sys.argv[1], "rb").read(); i = b.index(b"\nxref\n") + 1
i = b.index(b"\n", b.index(b"\n", i + 5) + 1) + 1   # the entry of object 1
open(sys.argv[2], "wb").write(b[:i] + b"0000000003" + b[i + 10:])' in.pdf badentry.pdf
refused "a PDF whose catalog's xref entry points at the wrong place" invalid_input "broken PDF" \
	badentry.pdf
qpdf --encrypt user owner 256 -- in.pdf enc.pdf
refused "an encrypted PDF without its password" invalid_input "PDF password: the PDF is encrypted" \
	enc.pdf
printf 'wrong\n' >wrong.pw
refused "an encrypted PDF with a wrong password" invalid_input "PDF password" enc.pdf \
	--pdf-password-file wrong.pw
refused "a key that does not match the certificate" invalid_input "does not match" in.pdf \
	--key siti.key
refused "a control character in the reason" invalid_input "control character" in.pdf \
	--reason "$(printf 'a\tb')"
: >empty.pdf
refused "an empty file" invalid_input "broken PDF" empty.pdf
printf 'not an image' >bad.img
refused "a specimen that is neither JPEG nor PNG" invalid_input "not a JPEG or PNG" two.pdf \
	--visible 1,10,10,100,50 --image bad.img
refused "a visible signature on a page the document does not have" invalid_input \
	"page 3: the document has 2 pages" two.pdf --visible 3,10,10,100,50 --qr x
refused "a box of zero width" invalid_input "the box must be" two.pdf --visible 1,10,10,0,50 --qr x
head -c 20000 spec.png >trunc.png
printf '\x89PNG\r\n\x1a\ngarbage' >broken.png
refused "a broken PNG" invalid_input "broken PNG" two.pdf --visible 1,10,10,100,50 --image broken.png
refused "a tag the text does not have" not_found "the tag is not in the PDF" tag.pdf \
	--tag '@@' --size 100,50 --qr x
refused "a tag of 65 bytes" invalid_input "signature tag: 1 to 64 bytes" tag.pdf \
	--tag "$(printf '%065d' 0)" --size 100,50 --qr x
refused "a tag in an encrypted PDF without its password" invalid_input "PDF password" enc.pdf \
	--tag '$' --size 100,50 --qr x
rc=0; sign --in tag.pdf --out r.pdf --tag '$' --qr x 2>/dev/null || rc=$?
check_eq "--tag without --size: usage error" "$rc" 2
rc=0; sign --in two.pdf --out r.pdf --qr x 2>/dev/null || rc=$?
check_eq "--qr without --visible: usage error" "$rc" 2
"$PY" "$HERE/mkpdf.py" certified1.pdf 1 --certified 1
refused "a PDF certified with no changes permitted (DocMDP /P 1)" policy "DocMDP /P 1" \
	certified1.pdf
"$PY" "$HERE/mkpdf.py" certified2.pdf 1 --certified 2
check "a PDF certified with form filling and signing permitted (/P 2) is signed" \
	sign --in certified2.pdf --out certified2-s.pdf
if [ -n "${refused_unite:-}" ]; then
	refused "pdfunite's output, whose /Size is below its highest object" invalid_input \
		"broken PDF: .*number of objects" unite.pdf
fi

# ---- pdfsig asks openams's own OCSP responder: good, then revoked ---------
start_server "$D" "$PORT" "$T/serve.log"
out=$(pdfsig -nssdir "sql:$T/nss" s2.pdf 2>&1 || true)
check_eq "pdfsig with OCSP from openams serve: both certificates trusted" \
	"$(grep -c 'Certificate is Trusted' <<<"$out")" 2
"$OPENAMS" ca revoke --dir "$D" "$(serial_of siti.pem)" --reason keyCompromise >/dev/null
out=$(pdfsig -nssdir "sql:$T/nss" s2.pdf 2>&1 || true)
check_match "pdfsig after the second signer's revocation: the first still trusted" \
	"$(sed -n '/Signature #1/,/Signature #2/p' <<<"$out")" "Certificate is Trusted"
check_match "pdfsig after the second signer's revocation: the second revoked" \
	"$(sed -n '/Signature #2/,$p' <<<"$out")" "Certificate has been Revoked"
check_eq "the signatures themselves stay valid" "$(grep -c 'Signature is Valid' <<<"$out")" 2
stop_server || true
out=$(verify --dir "$D" --in s2.pdf || true)
check_match "sign verify after the revocation: the second signer revoked" \
	"$(sed -n '/^signature 2:/,$p' <<<"$out")" "revocation: revoked"
check_match "sign verify after the revocation: the first still good" \
	"$(sed -n '/^signature 1:/,/^signature 2:/p' <<<"$out")" "revocation: good"
check_not "sign verify after the revocation, no time-stamp to prove the time: exit 1" \
	verify --dir "$D" --in s2.pdf

finish
