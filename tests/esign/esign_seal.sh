#!/bin/bash
# esign_seal.sh - the electronic seal routes of the BSrE API's v2 (guide
# 6.4, 6.5, 6.6; docs/ESIGN_API.md): `openams sign seal add` makes an
# agency's seal (idSubscriber, a "seal" certificate), then the guide's
# requests: seal/get/activation (an activation code by e-mail, read here
# from the outbox), its refresh, seal/get/totp (a one-time code in the
# answer), seal/pdf (the sealed PDF checked by pdfsig, qpdf and the verify
# route), seal/revoke/activation; and the refusals: wrong, reused, expired
# or revoked codes, another agency's client, an unknown idSubscriber, wrong
# credentials, bad JSON, more files than asked for, a revoked certificate.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TEST_TAG=esign-seal
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$HERE/../lib/common.sh"

D=$T/data
new_instance "$D" --demo
cd "$T"
ORG=kominfo
SEAL_MAIL=segel@kominfo.go.id
OUT=$("$OPENAMS" sign seal add --dir "$D" --org "$ORG" --email "$SEAL_MAIL" --name "Segel Dinas Kominfo")
ID=$(printf '%s\n' "$OUT" | sed -n 's/^idSubscriber: //p')
SERIAL=$(printf '%s\n' "$OUT" | sed -n 's/^serial: //p')
check_match "seal add: an idSubscriber" "$ID" '^[0-9a-f]{32}$'
check_match "seal add: its certificate" "$("$OPENAMS" ca status --dir "$D" "$SERIAL" 2>&1)" 'seal'
check_match "seal list" "$("$OPENAMS" sign seal list --dir "$D" --org "$ORG")" "^$ID	org=$ORG"
check_not "seal add: unknown agency" "$OPENAMS" sign seal add --dir "$D" --org tidakada --email "$SEAL_MAIL"
check_eq "the key-wrapping key: mode 600" 600 "$(stat -c %a "$D/secrets/totp-signing.kek" 2>/dev/null || echo none)"
check "an agency of its own" "$OPENAMS" org add lain --name "Dinas Lain" --dir "$D"
client_add() { "$OPENAMS" sign client add --dir "$D" --org "$1" --username "$2" | sed -n 's/^secret: //p'; }
SECRET=$(client_add "$ORG" eoffice)
OTHER=$(client_add "$ORG" persuratan)
FOREIGN=$(client_add lain lain-app)
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

PORT=$(free_port)
start_server "$D" "$PORT" "$T/serve.log"
req() { # req NAME WANT_STATUS OUTFILE curl-args...
	local name=$1 want=$2 out=$3 got
	shift 3
	got=$(curl -sS -m 120 -o "$out" -w '%{http_code}' "$@") || got=curl-failed
	check_eq "$name: HTTP $want" "$want" "$got"
}
jf() { jq -r "$1" "$2" 2>/dev/null || echo "not-json"; }
J=(-H 'Content-Type: application/json')
AUTH=(-u "eoffice:$SECRET" "${J[@]}")
V2=$BASE/api/v2
last_code() { # the activation code of the newest message to the seal's address
	local id
	id=$("$OPENAMS" mail list --dir "$D" | awk -F '\t' -v a="$SEAL_MAIL" 'index($0, a) {print $1}' | sort -n | tail -n 1)
	[ -n "$id" ] || { echo none; return; }
	"$OPENAMS" mail show --dir "$D" "$id" | tr -d '\r' | sed -n 's/^    \([0-9]\{8\}\)$/\1/p' | head -n 1
}
seal_body() { # seal_body TOTP [NFILES]: the guide's 6.6 request
	local files='' i
	for i in $(seq "${2:-1}"); do files+="${files:+,}\"$B64\""; done
	printf '{"idSubscriber":"%s","totp":"%s","signatureProperties":[{"tampilan":"INVISIBLE","location":null,"reason":null}],"file":[%s]}' \
		"$ID" "$1" "$files" >"$T/seal.json"
}

# ---- activation (6.4) -------------------------------------------------------------
req "activation: wrong credentials" 401 e.json -u "eoffice:oas_wrong" "${J[@]}" \
	-d "{\"idSubscriber\":\"$ID\"}" "$V2/seal/get/activation"
check_eq "activation: wrong credentials: code" UNAUTHORIZED "$(jf .code e.json)"
req "activation: bad JSON" 400 e.json "${AUTH[@]}" -d '{"idSubscriber":' "$V2/seal/get/activation"
check_eq "activation: bad JSON: code" INVALID_REQUEST "$(jf .code e.json)"
req "activation: no idSubscriber" 400 e.json "${AUTH[@]}" -d '{}' "$V2/seal/get/activation"
req "activation: unknown idSubscriber" 404 e.json "${AUTH[@]}" \
	-d '{"idSubscriber":"00000000000000000000000000000000"}' "$V2/seal/get/activation"
check_eq "unknown idSubscriber: code" SEAL_NOT_FOUND "$(jf .code e.json)"
req "activation: another agency's client" 404 e.json -u "lain-app:$FOREIGN" "${J[@]}" \
	-d "{\"idSubscriber\":\"$ID\"}" "$V2/seal/get/activation"
check_eq "another agency: code" SEAL_NOT_FOUND "$(jf .code e.json)"

req "activation" 200 a.json "${AUTH[@]}" -d "{\"idSubscriber\":\"$ID\"}" "$V2/seal/get/activation"
check_eq "activation: success" true "$(jf .success a.json)"
check_eq "activation: message" "TOTP Aktivasi berhasil dikirim" "$(jf .message a.json)"
check_eq "activation: data" null "$(jf .data a.json)"
ACT=$(last_code)
check_match "the activation code came by e-mail" "$ACT" '^[0-9]{8}$'
check_nomatch "the code is in no audit record" "$(sqlite3 "$D/openams.db" 'SELECT * FROM audit')" "$ACT"

req "refresh" 200 f.json "${AUTH[@]}" -d "{\"idSubscriber\":\"$ID\",\"totp\":\"$ACT\"}" "$V2/seal/get/activation"
check_eq "refresh: success" true "$(jf .success f.json)"
check_eq "refresh: message null" null "$(jf .message f.json)"
check_eq "refresh: data.message" "TOTP Aktivasi masih berlaku" "$(jf .data.message f.json)"
check_eq "refresh: data.totp" "$ACT" "$(jf .data.totp f.json)"
check_match "refresh: data.expires (the guide's form)" "$(jf .data.expires f.json)" \
	'^20[0-9-]{8}T[0-9:]{8}\.000\+0000$'
check_eq "refresh: data.result" true "$(jf .data.result f.json)"
BADACT=$(printf '%08d' $(( (10#$ACT + 1) % 100000000 )))
req "refresh with a wrong code" 400 e.json "${AUTH[@]}" \
	-d "{\"idSubscriber\":\"$ID\",\"totp\":\"$BADACT\"}" "$V2/seal/get/activation"
check_eq "wrong activation code: code" TOTP_INVALID "$(jf .code e.json)"
req "another client application's activation code" 400 e.json -u "persuratan:$OTHER" "${J[@]}" \
	-d "{\"idSubscriber\":\"$ID\",\"totp\":\"$ACT\"}" "$V2/seal/get/activation"

# ---- the one-time code (6.5) and sealing (6.6) ------------------------------------------
req "seal totp: wrong activation code" 400 e.json "${AUTH[@]}" \
	-d "{\"idSubscriber\":\"$ID\",\"data\":\"1\",\"totp\":\"$BADACT\"}" "$V2/seal/get/totp"
req "seal totp: data not a number" 400 e.json "${AUTH[@]}" \
	-d "{\"idSubscriber\":\"$ID\",\"data\":\"dua\",\"totp\":\"$ACT\"}" "$V2/seal/get/totp"
req "seal totp (the guide's data \"2\")" 200 t.json "${AUTH[@]}" \
	-d "{\"idSubscriber\":\"$ID\",\"data\":\"2\",\"totp\":\"$ACT\"}" "$V2/seal/get/totp"
check_eq "seal totp: message" "TOTP berhasil dibuat" "$(jf .message t.json)"
OTP=$(jf .totp t.json)
check_match "seal totp: a 6-digit code" "$OTP" '^[0-9]{6}$'
check_match "seal totp: expires" "$(jf .expires t.json)" '^20[0-9-]{8}T[0-9:]{8}\.000\+0000$'
check_eq "seal totp: result" true "$(jf .result t.json)"

BAD=$(printf '%06d' $(( (10#$OTP + 1) % 1000000 )))
seal_body "$BAD"
req "seal pdf: wrong code" 400 e.json "${AUTH[@]}" -d @seal.json "$V2/seal/pdf"
check_eq "seal pdf: wrong code: code" TOTP_INVALID "$(jf .code e.json)"
seal_body "$OTP" 3
req "seal pdf: more files than asked for" 400 e.json "${AUTH[@]}" -d @seal.json "$V2/seal/pdf"
seal_body "$OTP"
req "seal pdf: another client application's code" 400 e.json -u "persuratan:$OTHER" "${J[@]}" \
	-d @seal.json "$V2/seal/pdf"
req "seal pdf: bad JSON" 400 e.json "${AUTH[@]}" -d '{"idSubscriber":1}' "$V2/seal/pdf"
seal_body "$OTP" 2
req "seal pdf" 200 s.json "${AUTH[@]}" -d @seal.json "$V2/seal/pdf"
check_eq "seal pdf: two files" 2 "$(jf '.file | length' s.json)"
check_match "seal pdf: time" "$(jf .time s.json)" '^[0-9]+$'
jq -r '.file[0]' s.json | base64 -d >sealed.pdf
check "qpdf accepts the sealed PDF" qpdf --check sealed.pdf
SIG=$(pdfsig sealed.pdf 2>&1 || true)
check_match "pdfsig: the seal is valid" "$SIG" 'Signature Validation: Signature is Valid'
check_match "pdfsig: signed by the seal" "$SIG" 'Segel Dinas Kominfo'
req "verify the sealed PDF" 200 v.json "${AUTH[@]}" -d "{\"file\":\"$(base64 -w0 sealed.pdf)\"}" "$V2/verify/pdf"
check_eq "verify: VALID" VALID "$(jf .conclusion v.json)"
check_eq "verify: the seal's name" "Segel Dinas Kominfo" "$(jf '.signatureInformations[0].signerName' v.json)"
req "seal pdf: the code again" 400 e.json "${AUTH[@]}" -d @seal.json "$V2/seal/pdf"
check_eq "reused code: code" TOTP_INVALID "$(jf .code e.json)"

# an expired code
req "seal totp (to expire)" 200 t.json "${AUTH[@]}" \
	-d "{\"idSubscriber\":\"$ID\",\"data\":1,\"totp\":\"$ACT\"}" "$V2/seal/get/totp"
OTP=$(jf .totp t.json)
sqlite3 "$D/openams.db" "UPDATE seal_code SET expires_at = strftime('%s','now') - 1 WHERE kind = 'otp' AND used_at IS NULL" ||
	nok "expire the code"
seal_body "$OTP"
req "seal pdf: an expired code" 400 e.json "${AUTH[@]}" -d @seal.json "$V2/seal/pdf"

# ---- revoking the activation -----------------------------------------------------------
req "revoke: wrong code" 400 e.json "${AUTH[@]}" -d "{\"idSubscriber\":\"$ID\",\"totp\":\"$BADACT\"}" \
	"$V2/seal/revoke/activation"
req "revoke: no totp" 400 e.json "${AUTH[@]}" -d "{\"idSubscriber\":\"$ID\"}" "$V2/seal/revoke/activation"
req "revoke" 200 rv.json "${AUTH[@]}" -d "{\"idSubscriber\":\"$ID\",\"totp\":\"$ACT\"}" "$V2/seal/revoke/activation"
check_eq "revoke: success" true "$(jf .success rv.json)"
check_eq "revoke: message" "TOTP Aktivasi berhasil dicabut" "$(jf .message rv.json)"
req "seal totp after the revocation" 400 e.json "${AUTH[@]}" \
	-d "{\"idSubscriber\":\"$ID\",\"data\":1,\"totp\":\"$ACT\"}" "$V2/seal/get/totp"
req "refresh after the revocation" 400 e.json "${AUTH[@]}" -d "{\"idSubscriber\":\"$ID\",\"totp\":\"$ACT\"}" \
	"$V2/seal/get/activation"

# ---- a revoked seal certificate ------------------------------------------------------------
req "a new activation" 200 a.json "${AUTH[@]}" -d "{\"idSubscriber\":\"$ID\"}" "$V2/seal/get/activation"
ACT=$(last_code)
req "seal totp" 200 t.json "${AUTH[@]}" -d "{\"idSubscriber\":\"$ID\",\"data\":1,\"totp\":\"$ACT\"}" "$V2/seal/get/totp"
OTP=$(jf .totp t.json)
check "revoke the seal's certificate" "$OPENAMS" ca revoke --dir "$D" "$SERIAL" --reason keyCompromise
seal_body "$OTP"
req "seal pdf with a revoked certificate" 403 e.json "${AUTH[@]}" -d @seal.json "$V2/seal/pdf"
check_eq "revoked: code" CERTIFICATE_REVOKED "$(jf .code e.json)"

AUD=$(sqlite3 "$D/openams.db" "SELECT action || ' ' || detail FROM audit")
check_match "audit: the seal made" "$AUD" "keys.seal_create org=$ORG serial=$SERIAL"
check_match "audit: a seal signature" "$AUD" "keys.seal_sign serial=$SERIAL .*client=eoffice"
check_match "audit: codes sent" "$AUD" "esign.seal_code_send seal=$ID kind=activation"
check_match "audit: a wrong code" "$AUD" 'esign.seal_code_wrong'
check "audit chain intact" "$OPENAMS" audit verify --dir "$D"

stop_server || true
finish
