#!/bin/bash
# endpoints.sh - `openams serve` and its public PKI endpoints, checked with
# OpenSSL, GnuTLS ocsptool and curl: OCSP over POST and GET (good, revoked,
# unknown), RFC 5019 caching headers, CRLs and CA certificates with their
# media types, certificate status, health and metrics; then hostile input
# (oversized bodies, wrong methods, unknown routes, malformed OCSP, path
# traversal, header and URL limits, slow clients), after which the server
# must still be healthy; and the request log (one line per request, no
# secrets).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
D=$T/data
P=$D/pki
cat >"$T/init.conf" <<CONF
ca.ocsp_url = http://127.0.0.1:$PORT/ocsp
ca.crl_url = http://127.0.0.1:$PORT/pki/issuing.crl
ca.issuers_url = http://127.0.0.1:$PORT/pki/issuing.crt
CONF
new_instance "$D" --config "$T/init.conf" --sops all
cd "$T"
# Modes (security review, issue 16): nothing in the data directory is open
# to others; files 0600, directories 0700.
modes() { # DESC: every file 0600, every directory 0700, under $D
	local bad
	bad=$(find "$D" \( \( -type f ! -perm 600 \) -o \( -type d ! -perm 700 \) \) -printf '%m %P\n')
	check_eq "$1: files 0600, directories 0700" "$bad" ""
}
modes "after init"

csr good "/C=ID/O=Dinas Kominfo/CN=Budi Santoso" 2>/dev/null
"$OPENAMS" ca issue --dir "$D" --csr good.csr --nik 3201010101800001 --email budi@kominfo.go.id --out good.pem >/dev/null
csr rev "/C=ID/O=Dinas Kominfo/CN=Ani Lestari" 2>/dev/null
"$OPENAMS" ca issue --dir "$D" --csr rev.csr --nik 3201010101800002 --email ani@kominfo.go.id --out rev.pem >/dev/null
GOOD=$(serial_of good.pem)
REV=$(serial_of rev.pem)
UNK=7f$(openssl rand -hex 15)

start_server "$D" "$PORT" "$T/serve.log"
ok "server started and healthy on 127.0.0.1:$PORT"

# ---- OCSP over POST: openssl and ocsptool ----
ocsp_post() { # WHAT ARGS...: openssl ocsp -url against the server
	local what=$1
	shift
	openssl ocsp -url "$BASE/ocsp" -issuer "$P/issuing.crt" "$@" -CAfile "$P/chain.pem" \
		-resp_text >"$what.txt" 2>&1 || true
	cat "$what.txt"
}
out=$(ocsp_post good -cert good.pem)
check_match "openssl ocsp -url (POST): good verifies" "$out" "Response verify OK"
check_match "openssl ocsp -url (POST): good" "$out" "Cert Status: good"
check_match "openssl ocsp -url (POST): nonce echoed" "$out" "OCSP Nonce"
out=$(ocsp_post unknown -serial "0x$UNK")
check_match "openssl ocsp -url (POST): unknown serial" "$out" "Cert Status: unknown"
# Security review (issue 16), over HTTP with openssl ocsp -url: the
# responder's own certificate is good, SHA-512 CertIDs are answered, and a
# critical extension the responder does not understand is malformedRequest.
out=$(ocsp_post self -cert "$P/ocsp.crt")
check_match "openssl ocsp -url: the responder's own certificate verifies" "$out" "Response verify OK"
check_match "openssl ocsp -url: the responder's own certificate is good" "$out" "Cert Status: good"
out=$(ocsp_post sha512 -sha512 -cert good.pem)
check_match "openssl ocsp -url -sha512: verifies" "$out" "Response verify OK"
check_match "openssl ocsp -url -sha512: good" "$out" "Cert Status: good"
openssl ocsp -issuer "$P/issuing.crt" -cert good.pem -no_nonce -reqout plain.req >/dev/null
"$PY" "$HERE/../interop/ocsp.py" addext plain.req crit.req 1.3.6.1.4.1.99999.1 0500 critical
out=$(openssl ocsp -reqin crit.req -url "$BASE/ocsp" -noverify -resp_text 2>&1 || true)
check_match "openssl ocsp -url: a critical unknown extension is malformedRequest" "$out" \
	"Responder Error: malformedrequest"
"$PY" "$HERE/../interop/ocsp.py" addext plain.req nonce0.req 1.3.6.1.5.5.7.48.1.2 0400 noncritical
out=$(openssl ocsp -reqin nonce0.req -url "$BASE/ocsp" -noverify -resp_text 2>&1 || true)
check_match "openssl ocsp -url: a zero-length nonce is malformedRequest" "$out" "Responder Error: malformedrequest"

# A GET request built now, before the revocation, to see the cache dropped.
openssl ocsp -issuer "$P/issuing.crt" -cert rev.pem -no_nonce -reqout rev.req >/dev/null
REVGET="$BASE/ocsp/$(urlenc "$(base64 -w0 rev.req)")"
st=$(http "$REVGET")
openssl ocsp -respin "$T/body" -resp_text -noverify >rev-before.txt 2>&1 || true
check_match "GET before revocation: good" "$(cat rev-before.txt)" "Cert Status: good"

check "openams ca revoke (keyCompromise) while serving" \
	"$OPENAMS" ca revoke "$REV" --dir "$D" --reason keyCompromise
out=$(ocsp_post rev -cert rev.pem)
check_match "openssl ocsp -url (POST): revoked" "$out" "Cert Status: revoked"
check_match "openssl ocsp -url (POST): reason keyCompromise" "$out" "Revocation Reason: keyCompromise"
st=$(http "$REVGET")
openssl ocsp -respin "$T/body" -resp_text -noverify >rev-after.txt 2>&1 || true
check_match "GET after revocation: revoked at once (cache dropped)" "$(cat rev-after.txt)" "Cert Status: revoked"

# GnuTLS: --ask takes the responder from the certificate's AIA (our port).
t=$(ocsptool --ask --load-cert good.pem --load-issuer "$P/issuing.crt" --load-signer "$P/ocsp.crt" 2>&1 || true)
check_match "ocsptool --ask (AIA URL): good" "$t" "Certificate Status: good"
check_match "ocsptool --ask: verified" "$t" "Verifying OCSP Response: Success"
t=$(ocsptool --ask="$BASE/ocsp" --load-cert rev.pem --load-issuer "$P/issuing.crt" --load-signer "$P/ocsp.crt" 2>&1 || true)
check_match "ocsptool --ask URL: revoked" "$t" "Certificate Status: revoked"

# ---- OCSP over GET (RFC 6960 A.1, RFC 5019 5 and 6.2) ----
openssl ocsp -issuer "$P/issuing.crt" -cert good.pem -no_nonce -reqout good.req >/dev/null
B64=$(base64 -w0 good.req)
st=$(http "$BASE/ocsp/$(urlenc "$B64")")
check_eq "GET /ocsp/<url-encoded base64>: 200 application/ocsp-response" "$st" "200 application/ocsp-response"
cp "$T/body" good-get.resp
out=$(openssl ocsp -respin good-get.resp -reqin good.req -issuer "$P/issuing.crt" -CAfile "$P/chain.pem" -resp_text 2>&1 || true)
check_match "GET: response verifies" "$out" "Response verify OK"
check_match "GET: good" "$out" "Cert Status: good"
cc=$(hdr Cache-Control)
check_match "GET: Cache-Control max-age, public, no-transform, must-revalidate" "$cc" \
	"^max-age=[0-9]+, public, no-transform, must-revalidate$"
age=$(sed -n 's/^max-age=\([0-9]*\).*/\1/p' <<<"$cc")
next=$(date -u -d "$(openssl ocsp -respin good-get.resp -resp_text -noverify 2>/dev/null | sed -n 's/^ *Next Update: //p')" +%s)
now=$(date -u +%s)
if [ "$age" -le $((next - now + 2)) ] && [ "$age" -gt 0 ]; then
	ok "GET: max-age ($age) does not pass nextUpdate (in $((next - now)) s)"
else
	nok "GET: max-age $age vs nextUpdate in $((next - now)) s"
fi
ETAG=$(hdr ETag)
check_match "GET: ETag is a quoted SHA-256" "$ETAG" '^"[0-9a-f]{64}"$'
check_match "GET: Last-Modified" "$(hdr Last-Modified)" "^[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT$"
check_match "GET: Expires" "$(hdr Expires)" "GMT$"
st=$(http -H "If-None-Match: $ETAG" "$BASE/ocsp/$(urlenc "$B64")")
check_eq "GET with If-None-Match: 304" "${st%% *}" "304"
st=$(http "$BASE/ocsp/$B64")
check_eq "GET with base64 not URL-encoded (RFC 5019 clients): 200" "$st" "200 application/ocsp-response"
cmp -s "$T/body" good-get.resp && ok "GET: same request, same cached response" || nok "GET: cached response differs"
B64URL=$(tr '+/' '-_' <<<"$B64" | tr -d '=')
st=$(http "$BASE/ocsp/$B64URL")
out=$(openssl ocsp -respin "$T/body" -resp_text -noverify 2>&1 || true)
check_match "GET with base64url, no padding: good" "$out" "Cert Status: good"
st=$(http -I "$BASE/ocsp/$(urlenc "$B64")")
check_eq "HEAD /ocsp/...: 200" "${st%% *}" "200"
openssl ocsp -issuer "$P/issuing.crt" -serial "0x$UNK" -no_nonce -reqout unk.req >/dev/null
st=$(http "$BASE/ocsp/$(urlenc "$(base64 -w0 unk.req)")")
out=$(openssl ocsp -respin "$T/body" -resp_text -noverify 2>&1 || true)
check_match "GET: unknown serial" "$out" "Cert Status: unknown"

# ---- malformed OCSP: HTTP 200 with the malformedRequest status ----
head -c 300 /dev/urandom >garbage.bin
st=$(http -X POST -H "Content-Type: application/ocsp-request" --data-binary @garbage.bin "$BASE/ocsp")
check_eq "POST garbage: 200 application/ocsp-response" "$st" "200 application/ocsp-response"
out=$(openssl ocsp -respin "$T/body" -resp_text 2>&1 || true)
check_match "POST garbage: malformedRequest" "$out" "malformedrequest"
for g in 'not-base64!!' '%00%01' 'AAAA' '..%2F..%2Fopenams.conf' 'MEUwQzBBMD8wPTAJBgUrDgMCGgUABBQ'; do
	st=$(http "$BASE/ocsp/$g")
	out=$(openssl ocsp -respin "$T/body" -resp_text 2>&1 || true)
	if [ "$st" = "200 application/ocsp-response" ] && grep -q malformedrequest <<<"$out"; then
		ok "GET /ocsp/$g: 200 malformedRequest"
	elif [ "${st%% *}" = 400 ]; then
		ok "GET /ocsp/$g: 400 (control character in path)"
	else
		nok "GET /ocsp/$g: $st"
	fi
done
st=$(http -X POST -H "Content-Type: text/plain" --data-binary @good.req "$BASE/ocsp")
check_eq "POST with the wrong Content-Type: 415" "${st%% *}" "415"

# ---- CRLs ----
st=$(http "$BASE/pki/issuing.crl")
check_eq "GET /pki/issuing.crl: 200 application/pkix-crl" "$st" "200 application/pkix-crl"
cp "$T/body" issuing.crl
check "issuing CRL verifies (openssl crl -inform DER -CAfile)" \
	openssl crl -inform DER -in issuing.crl -CAfile "$P/chain.pem" -noout
out=$(openssl crl -inform DER -in issuing.crl -noout -text)
check_match "issuing CRL lists the revoked serial" "$(tr 'A-F' 'a-f' <<<"$out")" "Serial Number: 0*${REV#0}"
cmp -s issuing.crl "$P/issuing.crl" && ok "served CRL is the published file" || nok "served CRL differs from DIR/pki/issuing.crl"
cc=$(hdr Cache-Control)
age=$(sed -n 's/.*max-age=\([0-9]*\).*/\1/p' <<<"$cc")
next=$(date -u -d "$(openssl crl -inform DER -in issuing.crl -noout -nextupdate | sed 's/^nextUpdate=//')" +%s)
now=$(date -u +%s)
if [ -n "$age" ] && [ "$age" -le $((next - now + 2)) ]; then
	ok "CRL: max-age ($age) bounded by nextUpdate"
else
	nok "CRL: Cache-Control '$cc', nextUpdate in $((next - now)) s"
fi
lm=$(date -u -d "$(hdr Last-Modified)" +%s)
tu=$(date -u -d "$(openssl crl -inform DER -in issuing.crl -noout -lastupdate | sed 's/^lastUpdate=//')" +%s)
check_eq "CRL: Last-Modified is thisUpdate" "$lm" "$tu"
want="\"$(sha256sum issuing.crl | cut -d' ' -f1)\""
ETAG=$(hdr ETag)
check_eq "CRL: ETag is the SHA-256 of the CRL" "$ETAG" "$want"
st=$(http -H "If-None-Match: \"x\", $ETAG" "$BASE/pki/issuing.crl")
check_eq "CRL: If-None-Match -> 304" "${st%% *}" "304"
check_eq "CRL: 304 has no body" "$(cat "$T/body" 2>/dev/null | wc -c)" "0"
# If-Modified-Since (RFC 9110 13.1.3, 13.2.2; security review, issue 16):
# the three date forms, dates before thisUpdate, in the future or invalid,
# and If-None-Match taking precedence.
ims() { # EXPECTED DESC IMS [curl args...]
	local want=$1 desc=$2 d=$3
	shift 3
	st=$(http -H "If-Modified-Since: $d" "$@" "$BASE/pki/issuing.crl")
	check_eq "CRL: $desc -> $want" "${st%% *}" "$want"
}
LMH=$(LC_ALL=C date -u -d @"$tu" '+%a, %d %b %Y %H:%M:%S GMT')
ims 304 "If-Modified-Since = Last-Modified" "$LMH"
check_eq "CRL: 304 by date has no body" "$(cat "$T/body" 2>/dev/null | wc -c)" "0"
check_eq "CRL: 304 by date carries the ETag" "$(hdr ETag)" "$ETAG"
check_eq "CRL: 304 by date carries Last-Modified" "$(hdr Last-Modified)" "$LMH"
check_match "CRL: 304 by date carries Cache-Control" "$(hdr Cache-Control)" "max-age="
ims 304 "If-Modified-Since (RFC 850 form)" "$(LC_ALL=C date -u -d @"$tu" '+%A, %d-%b-%y %H:%M:%S GMT')"
ims 304 "If-Modified-Since (asctime form)" "$(LC_ALL=C date -u -d @"$tu" '+%a %b %e %H:%M:%S %Y')"
ims 200 "If-Modified-Since a second before thisUpdate" "$(LC_ALL=C date -u -d @$((tu - 1)) '+%a, %d %b %Y %H:%M:%S GMT')"
ims 200 "If-Modified-Since in the future (invalid)" "$(LC_ALL=C date -u -d @$(($(date +%s) + 86400)) '+%a, %d %b %Y %H:%M:%S GMT')"
ims 200 "If-Modified-Since not a date" "yesterday"
ims 200 "If-Modified-Since with a trailing junk" "$LMH junk"
ims 200 "If-None-Match (no match) takes precedence over If-Modified-Since" "$LMH" -H 'If-None-Match: "x"'
ims 304 "If-None-Match (match) with an older If-Modified-Since" "Thu, 01 Jan 1970 00:00:00 GMT" -H "If-None-Match: $ETAG"
st=$(http "$BASE/pki/root.crl")
check_eq "GET /pki/root.crl: 200 application/pkix-crl" "$st" "200 application/pkix-crl"
cp "$T/body" root.crl
check "root CRL verifies against the root" openssl crl -inform DER -in root.crl -CAfile "$P/root.crt" -noout

# ---- CA certificates ----
for n in root issuing; do
	st=$(http "$BASE/pki/$n.crt")
	check_eq "GET /pki/$n.crt: application/pkix-cert" "$st" "200 application/pkix-cert"
	a=$(openssl x509 -inform DER -in "$T/body" -outform PEM 2>/dev/null || true)
	b=$(openssl x509 -in "$P/$n.crt" -outform PEM)
	check_eq "/pki/$n.crt is the $n CA certificate in DER" "$a" "$b"
	st=$(http "$BASE/pki/$n.pem")
	check_eq "GET /pki/$n.pem: application/x-pem-file" "$st" "200 application/x-pem-file"
	check_eq "/pki/$n.pem is the $n CA certificate" "$(openssl x509 -in "$T/body" -outform PEM 2>/dev/null || true)" "$b"
done
st=$(http "$BASE/pki/chain.pem")
check_eq "GET /pki/chain.pem: application/x-pem-file" "$st" "200 application/x-pem-file"
check "chain.pem verifies good.pem" openssl verify -CAfile "$T/body" good.pem

# ---- certificate status ----
st=$(http "$BASE/certificates/$REV")
check_eq "GET /certificates/<revoked>: 200 JSON" "$st" "200 application/json"
j=$(cat "$T/body")
check_eq "status JSON: revoked, keyCompromise" \
	"$("$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["serial"], d["status"], d["reason"], bool(d["revoked_at"]), bool(d["not_after"]))' <<<"$j")" \
	"$REV revoked keyCompromise True True"
check_nomatch "status JSON: nothing personal (no NIK, name, e-mail)" "$j" "3201010101800002|Ani|kominfo.go.id"
st=$(http "$BASE/certificates/$(tr 'a-f' 'A-F' <<<"$GOOD")")
check_match "GET /certificates/<GOOD in upper case>: active" "$(cat "$T/body")" '"status":"active".*"revoked_at":null'
st=$(http "$BASE/certificates/$UNK")
check_eq "GET /certificates/<unknown>: 404 JSON" "$st" "404 application/json"
check_match "404 body: error.code not_found with id and en messages" "$(cat "$T/body")" \
	'^\{"error":\{"code":"not_found","message":\{"id":"[^"]+","en":"[^"]+"\}\}\}$'
st=$(http "$BASE/certificates/not-a-serial")
check_eq "GET /certificates/not-a-serial: 400 invalid_input" "$st $(grep -o '"code":"[a-z_]*"' "$T/body")" \
	'400 application/json "code":"invalid_input"'
st=$(http "$BASE/certificates/$GOOD.pem")
check_eq "GET /certificates/<serial>.pem: 403 by default (web.public_certificates = no)" "${st%% *}" "403"

# ---- health and metrics ----
ORG=$("$OPENAMS" config dump --dir "$D" | sed -n 's/^instance.org = //p')
SOP=$(sed -n 's/^id: *//p' "$D"/sop/001-*.yaml | head -n 1)
check "open a case (for the per-organisation gauges)" \
	"$OPENAMS" case open --dir "$D" --as pemohon1 --role pemohon --nik 1471010101700031 --sop "$SOP"
st=$(http "$BASE/healthz")
check_eq "GET /healthz: 200 JSON" "$st" "200 application/json"
check_match "healthz body" "$(cat "$T/body")" '"status":"ok"'
st=$(http "$BASE/metrics")
check_match "GET /metrics: Prometheus text 0.0.4" "$st" "^200 text/plain; version=0.0.4"
m=$(cat "$T/body")
check_match "metrics: request counts by route and status" "$m" '^openams_http_requests_total\{route="/ocsp/\{req\*\}",status="200"\} [1-9]'
check_match "metrics: latency histogram" "$m" '^openams_http_request_duration_seconds_bucket\{route="/ocsp",le="\+Inf"\} [1-9]'
check_match "metrics: certificates issued" "$m" '^openams_certificates_issued_total 2$'
check_match "metrics: certificates revoked" "$m" '^openams_certificates_revoked_total 1$'
check_match "metrics: CRL age" "$m" '^openams_crl_age_seconds\{issuer="issuing"\} [0-9]+$'
check_match "metrics: open cases gauge" "$m" '^# TYPE openams_cases_open gauge$'
check_match "metrics: open cases of $ORG" "$m" "^openams_cases_open\\{org=\"$ORG\"\\} 1\$"
check_match "metrics: overdue cases gauge" "$m" '^# TYPE openams_cases_overdue gauge$'

# ---- bad input ----
head -c 20000 /dev/zero >big.bin
st=$(http -X POST -H "Content-Type: application/ocsp-request" --data-binary @big.bin "$BASE/ocsp")
check_eq "POST /ocsp of 20000 bytes (limit 16 KiB): 413 JSON" "$st" "413 application/json"
check_match "413 body: code limit" "$(cat "$T/body")" '"code":"limit"'
st=$("$PY" "$HERE/rawhttp.py" chunked "$PORT" /ocsp 40000 application/ocsp-request)
check_eq "chunked POST /ocsp over the limit (no Content-Length): 413" "$st" "413"
st=$("$PY" "$HERE/rawhttp.py" chunked "$PORT" /ocsp 2000000 application/ocsp-request)
check_match "endless chunked POST: cut off (413 or closed), not read to the end" "$st" "^(413|0)$"
st=$(http -X DELETE "$BASE/pki/root.crt")
check_eq "DELETE /pki/root.crt: 405" "${st%% *}" "405"
check_eq "405 lists Allow: GET, HEAD" "$(hdr Allow)" "GET, HEAD"
st=$(http -X GET "$BASE/ocsp")
check_eq "GET /ocsp (POST only): 405" "${st%% *}" "405"
check_eq "405 lists Allow: POST" "$(hdr Allow)" "POST"
st=$(http -X BREW "$BASE/healthz")
check_eq "unknown method BREW: 405" "${st%% *}" "405"
st=$(http "$BASE/no/such/thing")
check_eq "unknown route: 404 JSON" "$st" "404 application/json"
check_match "unknown route: JSON error body" "$(cat "$T/body")" '"code":"not_found"'
for p in '/pki/../openams.conf' '/pki/%2e%2e/openams.conf' '/pki/..%2Fopenams.conf' \
	'/pki/%2E%2E%2Fopenams.conf' '/pki/..%5Copenams.conf' '/pki/root.crt%00.conf' \
	'/pki/../secrets/ca.pass' '/%2e%2e/%2e%2e/etc/passwd' '/pki//../../keys/issuing.key' \
	'/pki/.crl.lock' '/pki/ocsp.crt' '/certificates/..%2F..%2Fopenams.conf.pem'; do
	st=$(http --path-as-is "$BASE$p")
	code=${st%% *}
	if { [ "$code" = 404 ] || [ "$code" = 400 ]; } && ! grep -qE "instance\.name|BEGIN|root:|ENCRYPTED|PRIVATE" "$T/body"; then
		ok "traversal $p: $code, nothing leaked"
	else
		nok "traversal $p: $st"
		head -c 200 "$T/body" | sed 's/^/#   /'
	fi
done
long=$(head -c 3000 /dev/zero | tr '\0' a)
st=$(http "$BASE/pki/$long")
check_eq "URL longer than 2048 bytes: 414" "${st%% *}" "414"
q=$(for i in $(seq 40); do printf 'p%d=1&' "$i"; done)
st=$(http "$BASE/healthz?$q")
check_eq "40 query parameters (limit 32): 414" "${st%% *}" "414"
st=$("$PY" "$HERE/rawhttp.py" headers "$PORT" 100)
check_eq "100 header fields (limit 64): 431" "$st" "431"
st=$("$PY" "$HERE/rawhttp.py" nohost "$PORT")
check_eq "HTTP/1.1 without Host: 400 in JSON" "$st" "400 application/json"
st=$(http -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' b)" "$BASE/healthz")
check_match "a 20000-byte header (limit 16 KiB): 431" "${st%% *}" "^431$"
out=$("$PY" "$HERE/rawhttp.py" slow "$PORT" 2>&1 || true)
check_match "20 slow clients trickling headers do not block others ($out)" "$out" "bad=0"
[ "${out#worst=}" != "$out" ] && awk -v w="${out#worst=}" 'BEGIN { exit !(w + 0 < 1.0) }' &&
	ok "ordinary requests answered within 1 s meanwhile" || nok "slow clients delayed others: $out"

st=$(http "$BASE/healthz")
check_eq "still healthy after all of it" "$st" "200 application/json"
kill -0 "$SERVER_PID" && ok "server process still running" || nok "server died"
ocsp_post after-all -cert good.pem >/dev/null # a nonce: read from the store
check "the server's database has its WAL" test -e "$D/openams.db-wal"
check "the server's database has its shared memory" test -e "$D/openams.db-shm"
modes "after serve, a revocation and a case wrote the store, CRLs and the WAL"

# ---- the request log ----
before=$(grep -c ' rid=' "$T/serve.log" || true)
for i in 1 2 3 4 5; do
	curl -sS -m 5 -o /dev/null -H "Authorization: Bearer SECRET-TOKEN-4711" \
		-H "Cookie: oa_session=COOKIE-VALUE-0815" "$BASE/healthz?token=QUERY-SECRET-42&password=PW-SECRET-99"
done
curl -sS -m 5 -o /dev/null -u "alice:BASIC-PASSWORD-77" "$BASE/certificates/$GOOD"
sleep 0.3
after=$(grep -c ' rid=' "$T/serve.log" || true)
check_eq "one log line per request" "$((after - before))" "6"
log=$(cat "$T/serve.log")
check_nomatch "log never holds the Authorization header, cookie, query or password" "$log" \
	"SECRET-TOKEN|COOKIE-VALUE|QUERY-SECRET|PW-SECRET|BASIC-PASSWORD|YWxpY2U6|oa_session|token=|Bearer"
line=$(grep ' rid=' "$T/serve.log" | tail -n 1)
check_match "log line fields: ts rid remote method route status bytes dur_us user" "$line" \
	'^ts=[0-9TZ:-]+ rid=[0-9a-f]{16} remote=127\.0\.0\.1 method=GET route="/certificates/\{serial\}" status=200 bytes=[0-9]+ dur_us=[0-9]+ user=-$'
check_nomatch "log: every line is a request line or an openams: message" "$log" '^[^to]'

if stop_server; then ok "SIGTERM: exit status 0"; else nok "SIGTERM: exit status $?"; fi
check_match "log: stopped cleanly" "$(tail -n 2 "$T/serve.log")" "openams: web: stopped"
finish
