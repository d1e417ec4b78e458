#!/bin/bash
# shutdown.sh - SIGTERM during a burst of requests: requests in flight get
# complete responses, nothing is truncated, new connections are refused,
# the process exits 0, and the log has exactly one line per answered
# request.  Also: certificate downloads when web.public_certificates = yes,
# the CRL scheduler, and the plain-HTTP refusal on a non-loopback address.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
D=$T/data
P=$D/pki
# crl.interval_minutes above the CRL's validity: a CRL is always due, so the
# scheduler (checking every second) publishes one at once.  Every PKI answer
# logged (web.log_pki_every = 1), not one in a hundred: the log is checked
# line by line.
printf 'web.public_certificates = yes\ncrl.validity_hours = 1\ncrl.interval_minutes = 120\nweb.crl_check_seconds = 1\nweb.log_pki_every = 1\n' >"$T/init.conf"
new_instance "$D" --config "$T/init.conf"
cd "$T"
csr good "/C=ID/O=Dinas Kominfo/CN=Budi Santoso" 2>/dev/null
"$OPENAMS" ca issue --dir "$D" --csr good.csr --nik 3201010101800001 --email budi@kominfo.go.id --out good.pem >/dev/null
GOOD=$(serial_of good.pem)
openssl ocsp -issuer "$P/issuing.crt" -cert good.pem -no_nonce -reqout good.req >/dev/null

# Refusals before anything listens.
out=$("$OPENAMS" serve --dir "$D" --listen 0.0.0.0:"$PORT" 2>&1 || true)
check_match "plain HTTP on 0.0.0.0 refused without web.allow_plain_http" "$out" \
	"^openams: config: refusing plain HTTP on 0.0.0.0"
out=$("$OPENAMS" serve --dir "$D" --listen nonsense 2>&1 || true)
check_match "a bad --listen is a config error" "$out" "^openams: config: listen address"

start_server "$D" "$PORT" "$T/serve.log"

# Downloads allowed by this instance's configuration.
st=$(http "$BASE/certificates/$GOOD.pem")
check_eq "GET /certificates/<serial>.pem: 200 application/x-pem-file" "$st" "200 application/x-pem-file"
check_eq ".pem is the issued certificate" "$(openssl x509 -in "$T/body" -outform PEM 2>/dev/null || true)" \
	"$(openssl x509 -in good.pem -outform PEM)"
st=$(http "$BASE/certificates/$GOOD.der")
check_eq "GET /certificates/<serial>.der: 200 application/pkix-cert" "$st" "200 application/pkix-cert"
check_eq ".der is the issued certificate" "$(openssl x509 -inform DER -in "$T/body" -outform PEM 2>/dev/null || true)" \
	"$(openssl x509 -in good.pem -outform PEM)"

n0=$(openssl crl -inform DER -in "$P/issuing.crl" -noout -crlnumber | sed 's/.*=//')
for _ in $(seq 100); do
	n1=$(openssl crl -inform DER -in "$P/issuing.crl" -noout -crlnumber 2>/dev/null | sed 's/.*=//')
	[ "$n1" != "$n0" ] && break
	sleep 0.1
done
if [ "$n1" != "$n0" ]; then
	ok "scheduler published the next issuing CRL when due ($n0 -> $n1)"
	st=$(http "$BASE/pki/issuing.crl")
	cmp -s "$T/body" "$P/issuing.crl" && ok "served CRL follows the new file" || nok "served CRL is stale"
else
	nok "scheduler did not publish a CRL within 10 s"
fi

export BURST_RESP=$T/slow.resp
out=$("$PY" "$HERE/burst.py" "$PORT" "$SERVER_PID" good.req 2>&1) && rc=0 || rc=$?
echo "# burst: $out"
check_match "burst: SIGTERM while a POST body is half sent: that request completes (200)" "$out" "slow_post=200"
check_match "burst: no truncated responses" "$out" "truncated=0"
check_match "burst: requests answered" "$out" "ok=[1-9]"
check_match "burst: new connections refused after SIGTERM" "$out" "refused_after_term=True"
o=$(openssl ocsp -respin "$T/slow.resp" -resp_text -noverify 2>&1 || true)
check_match "burst: the slow POST's answer is a good OCSP response" "$o" "Cert Status: good"
rc=0
for _ in $(seq 200); do
	kill -0 "$SERVER_PID" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$SERVER_PID" 2>/dev/null; then
	nok "server still running 20 s after SIGTERM"
else
	wait "$SERVER_PID" || rc=$?
	check_eq "exit status 0 after SIGTERM" "$rc" "0"
fi
SERVER_PID=
okn=$(sed -n 's/.*ok=\([0-9]*\).*/\1/p' <<<"$out")
burst_lines=$(grep ' rid=' "$T/serve.log" | grep -c 'route="/pki/root.pem"\|route="/pki/issuing.pem"\|route="/pki/chain.pem"\|route="/pki/root.crt"\|route="/pki/issuing.crt"\|route="/pki/root.crl"' || true)
check_eq "log: one line per answered request of the burst" "$burst_lines" "$okn"
check_match "log: the slow POST is logged with status 200" "$(grep 'route="/ocsp"' "$T/serve.log")" "status=200"
check_match "log: no request ended unfinished" "$(grep ' rid=' "$T/serve.log" | grep -c ' end=' || true)" "^0$"
check_match "log: stopped cleanly" "$(tail -n 1 "$T/serve.log")" "openams: web: stopped"
finish
