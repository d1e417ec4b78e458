#!/bin/bash
# tls.sh - HTTPS when web.tls_cert and web.tls_key are set (libmicrohttpd
# with GnuTLS): the endpoints answer over TLS 1.2/1.3, plain HTTP on the
# same port gets no answer, and a half-configured TLS is refused.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
D=$T/data
new_instance "$D"
cd "$T"
# The web server's own certificate (never a CA key of the instance).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-keyout "$D/web.key" -out "$D/web.crt" -subj "/CN=127.0.0.1" \
	-addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
chmod 600 "$D/web.key"

cp "$D/openams.conf" conf.orig
echo "web.tls_cert = web.crt" >>"$D/openams.conf"
out=$("$OPENAMS" serve --dir "$D" --listen 127.0.0.1:"$PORT" 2>&1 || true)
check_match "web.tls_cert without web.tls_key is refused" "$out" "^openams: config: web.tls_cert and web.tls_key go together"
echo "web.tls_key = web.key" >>"$D/openams.conf"

SCHEME=https CURL_CA=$D/web.crt start_server "$D" "$PORT" "$T/serve.log"
check_match "listening line says https" "$(head -n 5 "$T/serve.log")" "listening on https://127.0.0.1:$PORT"
st=$(http --cacert "$D/web.crt" "$BASE/healthz")
check_eq "GET https://.../healthz: 200" "$st" "200 application/json"
check_match "HSTS on TLS responses" "$(hdr Strict-Transport-Security)" "^max-age="
csr good "/C=ID/O=Dinas Kominfo/CN=Budi" 2>/dev/null
"$OPENAMS" ca issue --dir "$D" --csr good.csr --nik 3201010101800001 --email budi@kominfo.go.id --out good.pem >/dev/null
openssl ocsp -issuer "$D/pki/issuing.crt" -cert good.pem -reqout good.req >/dev/null
st=$(http --cacert "$D/web.crt" -H "Content-Type: application/ocsp-request" --data-binary @good.req "$BASE/ocsp")
check_eq "POST /ocsp over TLS: 200 application/ocsp-response" "$st" "200 application/ocsp-response"
out=$(openssl ocsp -respin "$T/body" -reqin good.req -CAfile "$D/pki/chain.pem" -resp_text 2>&1 || true)
check_match "OCSP over TLS: good, verified" "$out" "Response verify OK"
for v in 1.2 1.3; do
	o=$(curl -sS -m 5 --cacert "$D/web.crt" --tlsv$v --tls-max $v -o /dev/null -w '%{http_code}' "$BASE/healthz" 2>&1 || true)
	check_eq "TLS $v accepted" "$o" "200"
done
o=$(curl -sS -m 5 --cacert "$D/web.crt" --tlsv1.1 --tls-max 1.1 -o /dev/null -w '%{http_code}' "$BASE/healthz" 2>&1 || true)
check_match "TLS 1.1 refused" "$o" "000|error|alert|SSL"
o=$(curl -sS -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz" 2>&1 || true)
check_match "plain HTTP to the TLS port gets no HTTP answer" "$o" "^000|Empty reply|reset|Received HTTP/0.9"
st=$(http --cacert "$D/web.crt" "$BASE/healthz")
check_eq "still healthy" "$st" "200 application/json"
if stop_server; then ok "SIGTERM: exit status 0"; else nok "SIGTERM: exit status $?"; fi
finish
