#!/bin/bash
# esign_totp.sh - the BSrE API's TOTP (guide 6.2, 6.3; docs/ESIGN_API.md):
# a holder opts in at a v2 signing with the passphrase ("totpEnable": true),
# POST /api/v2/sign/get/totp e-mails a one-time code (read here from the
# outbox with `openams mail`), and POST /api/v2/sign/pdf signs with the code
# instead of the passphrase.  The errors: not opted in, a wrong, reused,
# replaced, expired or burnt code, more files than asked for, another client
# application's code, a locked key, unknown NIK, wrong credentials, bad JSON;
# and the opt-out.  Nothing of a code may reach the audit log.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TEST_TAG=esign-totp
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
CONF
cd "$T"

PHRASE='kopi tubruk di pagi hari 7'
WRONG='teh manis di sore hari 99'
NIK_OK=3201015505900001
NIK_LOCK=3201015505900003
NIK_OFF=3201015505900005
NIK_NONE=3201015505900009
MAIL_OK=pejabat0001@kominfo.go.id

check "holder with a sealed key" "$ESIGN_FIXTURE" "$D" "$NIK_OK" "$PHRASE"
check "holder who will be locked" "$ESIGN_FIXTURE" "$D" "$NIK_LOCK" "$PHRASE"
check "holder who never opts in" "$ESIGN_FIXTURE" "$D" "$NIK_OFF" "$PHRASE"
ORG=kominfo
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
PY
B64=$(base64 -w0 surat.pdf)

client_add() { # client_add USERNAME: prints the secret
	"$OPENAMS" sign client add --dir "$D" --org "$ORG" --username "$1" | sed -n 's/^secret: //p'
}
SECRET=$(client_add eoffice)
OTHER=$(client_add persuratan)

PORT=$(free_port)
start_server "$D" "$PORT" "$T/serve.log"
req() { # req NAME WANT_STATUS OUTFILE curl-args...
	local name=$1 want=$2 out=$3 got
	shift 3
	got=$(curl -sS -m 120 -o "$out" -D "$T/hdr" -w '%{http_code}' "$@") || got=curl-failed
	check_eq "$name: HTTP $want" "$want" "$got"
}
jf() { jq -r "$1" "$2" 2>/dev/null || echo "not-json"; }
AUTH=(-u "eoffice:$SECRET" -H 'Content-Type: application/json')
AUTH2=(-u "persuratan:$OTHER" -H 'Content-Type: application/json')

# sign_body NIK CRED_JSON [NFILES]: a v2 sign request (the guide's 6.2 shape)
sign_body() {
	local files='' i
	for i in $(seq "${3:-1}"); do files+="${files:+,}\"$B64\""; done
	printf '{"nik":"%s",%s,"signatureProperties":[{"tampilan":"INVISIBLE","reason":"Persetujuan","location":"Jakarta","pdfPassword":""}],"file":[%s]}' \
		"$1" "$2" "$files" >"$T/body.json"
}
totp_body() { printf '{"nik":"%s","email":"","data":%s}' "$1" "$2" >"$T/tb.json"; }

# last_code ADDRESS: the code of the newest message to ADDRESS in the outbox
last_code() {
	local id
	id=$("$OPENAMS" mail list --dir "$D" | awk -F '\t' -v a="$1" 'index($0, a) {print $1}' | sort -n | tail -n 1)
	[ -n "$id" ] || { echo none; return; }
	"$OPENAMS" mail show --dir "$D" "$id" | tr -d '\r' | sed -n 's/^    \([0-9]\{6\}\)$/\1/p' | head -n 1
}
mails_to() { "$OPENAMS" mail list --dir "$D" | grep -c "$1" || true; }

# ---- before opting in ------------------------------------------------------
totp_body "$NIK_OK" 1
req "get totp before opting in" 403 e.json "${AUTH[@]}" -d @tb.json "$BASE/api/v2/sign/get/totp"
check_eq "not opted in: code" TOTP_NOT_ENABLED "$(jf .code e.json)"
check_eq "not opted in: no e-mail" 0 "$(mails_to "$MAIL_OK")"
sign_body "$NIK_OK" '"passphrase":"","totp":"123456"'
req "sign with a totp before opting in" 403 e.json "${AUTH[@]}" -d @body.json "$BASE/api/v2/sign/pdf"
check_eq "sign not opted in: code" TOTP_NOT_ENABLED "$(jf .code e.json)"

# ---- opting in at a signing with the passphrase ---------------------------
sign_body "$NIK_OK" '"passphrase":"'"$WRONG"'","totp":"","totpEnable":true'
req "opt in with a wrong passphrase" 400 e.json "${AUTH[@]}" -d @body.json "$BASE/api/v2/sign/pdf"
check_eq "opt in, wrong passphrase: code" PASSPHRASE_INVALID "$(jf .code e.json)"
req "still not opted in" 403 e.json "${AUTH[@]}" -d @tb.json "$BASE/api/v2/sign/get/totp"
sign_body "$NIK_OK" '"passphrase":"'"$PHRASE"'","totp":"","totpEnable":"ya"'
req "totpEnable not a boolean" 400 e.json "${AUTH[@]}" -d @body.json "$BASE/api/v2/sign/pdf"
sign_body "$NIK_OK" '"passphrase":"'"$PHRASE"'","totp":"","totpEnable":true'
req "opt in: sign with the passphrase" 200 s.json "${AUTH[@]}" -d @body.json "$BASE/api/v2/sign/pdf"
check_eq "opt in: one file signed" 1 "$(jf '.file | length' s.json)"
KEK=$D/secrets/totp-signing.kek
check_eq "the key-wrapping key: 32 bytes" 32 "$(stat -c %s "$KEK" 2>/dev/null || echo none)"
check_eq "the key-wrapping key: mode 600" 600 "$(stat -c %a "$KEK" 2>/dev/null || echo none)"

# ---- the code ---------------------------------------------------------------
req "get totp: wrong credentials" 401 e.json -u "eoffice:oas_wrong" -H 'Content-Type: application/json' \
	-d @tb.json "$BASE/api/v2/sign/get/totp"
check_eq "get totp: wrong credentials: code" UNAUTHORIZED "$(jf .code e.json)"
req "get totp: bad JSON" 400 e.json "${AUTH[@]}" -d '{"nik":' "$BASE/api/v2/sign/get/totp"
check_eq "get totp: bad JSON: code" INVALID_REQUEST "$(jf .code e.json)"
req "get totp: data not a number" 400 e.json "${AUTH[@]}" -d "{\"nik\":\"$NIK_OK\",\"data\":\"2\"}" \
	"$BASE/api/v2/sign/get/totp"
req "get totp: data over the limit" 400 e.json "${AUTH[@]}" -d "{\"nik\":\"$NIK_OK\",\"data\":17}" \
	"$BASE/api/v2/sign/get/totp"
totp_body "$NIK_NONE" 1
req "get totp: unknown NIK" 404 e.json "${AUTH[@]}" -d @tb.json "$BASE/api/v2/sign/get/totp"
check_eq "get totp: unknown NIK: code" NOT_REGISTERED "$(jf .code e.json)"
req "get totp: NIK not 16 digits" 400 e.json "${AUTH[@]}" -d '{"nik":"12345","data":1}' \
	"$BASE/api/v2/sign/get/totp"
req "get totp: unknown e-mail" 404 e.json "${AUTH[@]}" -d '{"email":"tidak.ada@kominfo.go.id","data":1}' \
	"$BASE/api/v2/sign/get/totp"

totp_body "$NIK_OK" 1
req "get totp" 200 t.json "${AUTH[@]}" -d @tb.json "$BASE/api/v2/sign/get/totp"
check_eq "get totp: success" true "$(jf .success t.json)"
check_match "get totp: message" "$(jf .message t.json)" 'TOTP'
check_eq "get totp: where it went (masked)" "p***@kominfo.go.id" "$(jf .data.email t.json)"
check_match "get totp: expires" "$(jf .data.expires t.json)" '^20[0-9-]{8}T[0-9:]{8}\.000\+00:00$'
check_eq "get totp: files" 1 "$(jf .data.data t.json)"
check_eq "one e-mail to the holder" 1 "$(mails_to "$MAIL_OK")"
CODE=$(last_code "$MAIL_OK")
check_match "the e-mail holds a 6-digit code" "$CODE" '^[0-9]{6}$'
MSG=$("$OPENAMS" mail show --dir "$D" "$("$OPENAMS" mail list --dir "$D" | grep "$MAIL_OK" | cut -f1 | tail -n 1)")
check_match "the e-mail is Indonesian first" "$(printf '%s' "$MSG" | tr -d '\r')" 'Kode OTP'
check_nomatch "the code is in no audit record" "$(sqlite3 "$D/openams.db" 'SELECT * FROM audit')" "$CODE"

BAD=$(printf '%06d' $(( (10#$CODE + 1) % 1000000 )))
sign_body "$NIK_OK" '"passphrase":"","totp":"'"$BAD"'"'
req "sign with a wrong code" 400 e.json "${AUTH[@]}" -d @body.json "$BASE/api/v2/sign/pdf"
check_eq "wrong code: code" TOTP_INVALID "$(jf .code e.json)"
sign_body "$NIK_OK" '"passphrase":"","totp":"'"$CODE"'"' 2
req "sign two files with a code asked for one" 400 e.json "${AUTH[@]}" -d @body.json "$BASE/api/v2/sign/pdf"
check_eq "too many files: code" TOTP_INVALID "$(jf .code e.json)"
sign_body "$NIK_OK" '"passphrase":"","totp":"'"$CODE"'"'
req "another client application's code" 400 e.json "${AUTH2[@]}" -d @body.json "$BASE/api/v2/sign/pdf"
req "sign with the code" 200 s.json "${AUTH[@]}" -d @body.json "$BASE/api/v2/sign/pdf"
check_eq "signed with the code: one file" 1 "$(jf '.file | length' s.json)"
jq -r '.file[0]' s.json | base64 -d >totp-signed.pdf
check "qpdf accepts the PDF signed with a code" qpdf --check totp-signed.pdf
check_match "pdfsig: the signature is intact" "$(pdfsig totp-signed.pdf 2>&1 || true)" 'Signature is Valid'
req "verify the PDF signed with a code" 200 v.json "${AUTH[@]}" -d "{\"file\":\"$(base64 -w0 totp-signed.pdf)\"}" \
	"$BASE/api/v2/verify/pdf"
check_eq "verify: VALID" VALID "$(jf .conclusion v.json)"
req "reuse the code" 400 e.json "${AUTH[@]}" -d @body.json "$BASE/api/v2/sign/pdf"
check_eq "reused code: code" TOTP_INVALID "$(jf .code e.json)"

# data 0 (the guide's example): up to 16 files; a new code replaces the old
totp_body "$NIK_OK" 0
req "get totp (data 0)" 200 t.json "${AUTH[@]}" -d @tb.json "$BASE/api/v2/sign/get/totp"
check_eq "data 0: up to 16 files" 16 "$(jf .data.data t.json)"
OLD=$(last_code "$MAIL_OK")
req "get totp again" 200 t.json "${AUTH[@]}" -d @tb.json "$BASE/api/v2/sign/get/totp"
NEW=$(last_code "$MAIL_OK")
check_eq "two more e-mails" 3 "$(mails_to "$MAIL_OK")"
if [ "$OLD" != "$NEW" ]; then
	sign_body "$NIK_OK" '"passphrase":"","totp":"'"$OLD"'"'
	req "a replaced code" 400 e.json "${AUTH[@]}" -d @body.json "$BASE/api/v2/sign/pdf"
fi
sign_body "$NIK_OK" '"passphrase":"","totp":"'"$NEW"'"' 2
req "sign two files with the new code" 200 s.json "${AUTH[@]}" -d @body.json "$BASE/api/v2/sign/pdf"
check_eq "two files signed with the code" 2 "$(jf '.file | length' s.json)"

# five wrong tries burn a code
req "get totp (to burn)" 200 t.json "${AUTH[@]}" -d @tb.json "$BASE/api/v2/sign/get/totp"
CODE=$(last_code "$MAIL_OK")
BAD=$(printf '%06d' $(( (10#$CODE + 7) % 1000000 )))
sign_body "$NIK_OK" '"passphrase":"","totp":"'"$BAD"'"'
for i in 1 2 3 4 5; do
	req "wrong code $i" 400 e.json "${AUTH[@]}" -d @body.json "$BASE/api/v2/sign/pdf"
done
check_match "the fifth wrong try burns the code" "$(jf .message e.json)" 'burnt'
sign_body "$NIK_OK" '"passphrase":"","totp":"'"$CODE"'"'
req "the right code after it burnt" 400 e.json "${AUTH[@]}" -d @body.json "$BASE/api/v2/sign/pdf"

# an expired code: the clock moved past its lifetime
req "get totp (to expire)" 200 t.json "${AUTH[@]}" -d @tb.json "$BASE/api/v2/sign/get/totp"
CODE=$(last_code "$MAIL_OK")
sqlite3 "$D/openams.db" "UPDATE esign_otp SET expires_at = strftime('%s','now') - 1 WHERE used_at IS NULL" ||
	nok "expire the code in the database"
sign_body "$NIK_OK" '"passphrase":"","totp":"'"$CODE"'"'
req "an expired code" 400 e.json "${AUTH[@]}" -d @body.json "$BASE/api/v2/sign/pdf"
check_eq "expired code: code" TOTP_INVALID "$(jf .code e.json)"

# ---- a locked key ----------------------------------------------------------
sign_body "$NIK_LOCK" '"passphrase":"'"$PHRASE"'","totpEnable":true'
req "the second holder opts in" 200 s.json "${AUTH[@]}" -d @body.json "$BASE/api/v2/sign/pdf"
sign_body "$NIK_LOCK" '"passphrase":"'"$WRONG"'"'
for i in 1 2 3; do
	req "wrong passphrase $i" 400 e.json "${AUTH[@]}" -d @body.json "$BASE/api/v2/sign/pdf" >/dev/null
done
totp_body "$NIK_LOCK" 1
req "get totp for a locked key" 403 e.json "${AUTH[@]}" -d @tb.json "$BASE/api/v2/sign/get/totp"
check_eq "locked: code" KEY_LOCKED "$(jf .code e.json)"

# ---- opting out --------------------------------------------------------------
sign_body "$NIK_OK" '"passphrase":"'"$PHRASE"'","totpEnable":false'
req "opt out: sign with the passphrase" 200 s.json "${AUTH[@]}" -d @body.json "$BASE/api/v2/sign/pdf"
totp_body "$NIK_OK" 1
req "get totp after opting out" 403 e.json "${AUTH[@]}" -d @tb.json "$BASE/api/v2/sign/get/totp"
check_eq "opted out: code" TOTP_NOT_ENABLED "$(jf .code e.json)"
totp_body "$NIK_OFF" 1
req "a holder who never opted in" 403 e.json "${AUTH[@]}" -d @tb.json "$BASE/api/v2/sign/get/totp"

# ---- the audit trail -----------------------------------------------------------
AUD=$(sqlite3 "$D/openams.db" "SELECT action || ' ' || coalesce(detail, '') FROM audit" 2>/dev/null || echo none)
check_match "audit: opt in" "$AUD" 'keys.totp_enable'
check_match "audit: opt out" "$AUD" 'keys.totp_disable'
check_match "audit: a code sent" "$AUD" "esign.otp_send nik=$NIK_OK client=eoffice"
check_match "audit: a wrong code" "$AUD" 'esign.otp_wrong'
check_match "audit: a code used" "$AUD" 'esign.otp_use'
check_match "audit: a signature with a code" "$AUD" 'keys.sign .*via=totp'
check "audit chain intact" "$OPENAMS" audit verify --dir "$D"

stop_server || true
finish
